"""The service's settings, from the environment and `.env` (given: not part of an exercise)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values


def environment() -> dict[str, str]:
    """`.env` (or the file LAB_ENV_FILE names) under the process environment; empty means unset."""
    values = dotenv_values(os.environ.get("LAB_ENV_FILE", ".env"), encoding="utf-8")
    merged = {k: v for k, v in values.items() if v}
    merged.update({k: v for k, v in os.environ.items() if v})
    return merged


@dataclass(frozen=True)
class Config:
    models_dir: Path
    crm_url: str
    crm_token: str
    segments_file: Path
    log_level: str = "INFO"
    #: the course's fixture model, served until training has written one (None: none)
    fixture_dir: Path | None = Path("fixtures/model")

    @classmethod
    def from_env(cls) -> Config:
        env = environment()
        crm_host = env.get("CRM_HOST", "127.0.0.1")
        crm_url = env.get("CRM_URL") or f"http://{crm_host}:{env.get('CRM_PORT', '8001')}"
        return cls(
            models_dir=Path(env.get("LAB_HOME", ".lab")) / "models",
            crm_url=crm_url.rstrip("/"),
            crm_token=env.get("CRM_TOKEN", ""),
            segments_file=Path(env.get("SEGMENT_RULES_FILE", "config/segments.yml")),
            log_level=env.get("LOG_LEVEL", "INFO"),
            fixture_dir=Path(env.get("FIXTURE_MODEL_DIR", "fixtures/model")),
        )
