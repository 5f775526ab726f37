"""The page never shows a secret from `.env`: every text it sends goes through `Redactor`."""

from __future__ import annotations

from typing import Any

from lab.settings import Settings

#: The settings that hold secrets (generated into `.env` by `lab init`).
SECRET_KEYS = ("CRM_TOKEN", "ADMIN_TOKEN", "API_TOKEN", "GRAFANA_ADMIN_PASSWORD",
               "GRAFANA_SECRET_KEY")  # fmt: skip
MASK = "•••"
MIN_LENGTH = 4  # shorter values would mask ordinary words


class Redactor:
    def __init__(self, settings: Settings) -> None:
        values = {str(getattr(settings, k, "") or "") for k in SECRET_KEYS}
        self._secrets = sorted((v for v in values if len(v) >= MIN_LENGTH), key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        return value

    def deep(self, value: Any) -> Any:
        """`value` (JSON-like) with every string redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return value
