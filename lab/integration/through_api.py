"""Segment updates through the running API (`lab segment ID...`): one POST /crm_segment_update
per customer, as a learner's curl would send it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from lab.settings import Settings

__all__ = ["Answer", "ApiUnreachable", "update_through_api"]


class ApiUnreachable(RuntimeError):
    """The API does not answer; the message says how to start it."""


@dataclass(frozen=True)
class Answer:
    customer_id: str
    status: int
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200


def update_through_api(settings: Settings, customer_ids: Sequence[str]) -> Iterator[Answer]:
    """Each customer's answer, in order (API_TOKEN sent when set: off loopback it is needed)."""
    auth = {"Authorization": f"Bearer {settings.API_TOKEN}"} if settings.API_TOKEN else {}
    with httpx.Client(base_url=settings.api_url, timeout=60, headers=auth) as api:
        for cid in customer_ids:
            try:
                response = api.post("/crm_segment_update", params={"customer_id": cid})
            except httpx.TransportError as exc:
                raise ApiUnreachable(
                    f"cannot reach the API at {settings.api_url} ({type(exc).__name__}): "
                    "start it with `lab serve` (or `lab up`)"
                ) from None
            body = response.json() if response.content else {}
            yield Answer(cid, response.status_code, body if isinstance(body, dict) else {})
