"""Part 4 of the page, "Try it": one /predict and one /crm_segment_update through the page.

The page's server sends the request to the lab's own API (the address the settings name, so a
token goes nowhere else), with a request id of its own, and finds that request's lines in the
API's log (LAB_HOME/run/logs/api.log, where `lab up` writes them).
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx

from lab.ids import CUSTOMER_ID_PATTERN
from lab.orchestration.output import log_path
from lab.settings import Settings, is_loopback

TIMEOUT = 15.0
LOG_WAIT = 2.0  # seconds to wait for the request's lines to reach the log
MAX_LOG_LINES = 30
_CUSTOMER = re.compile(CUSTOMER_ID_PATTERN)
MAX_ABS = 1e9


class BadInput(ValueError):
    """What the learner typed cannot be sent; the message says how to fix it."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    request_id: str
    log: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "body": self.body, "request_id": self.request_id,
                "log": self.log}  # fmt: skip


def feature_fields(settings: Settings) -> dict[str, float | None]:
    """The fields of one row (name -> example value), from the API's own OpenAPI document: the
    `/predict` body's "customer" form. Empty when the API does not answer or has no such form."""
    try:
        doc = httpx.get(settings.api_url + "/schema/openapi.json", timeout=5.0, trust_env=False)
        post = doc.json()["paths"]["/predict"]["post"]["requestBody"]["content"]
        body = post["application/json"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return {}
    schema = body.get("schema") or {}
    forms = schema.get("oneOf") or [schema]
    found = [f["properties"]["customer"] for f in forms if isinstance(f, dict)
             and "customer" in (f.get("properties") or {})]  # fmt: skip
    customer = found[0] if found else None
    if not isinstance(customer, dict) or not isinstance(customer.get("properties"), dict):
        return {}
    examples = [e.get("value", {}).get("customer") for e in (body.get("examples") or {}).values()]
    example = next((e for e in examples if isinstance(e, dict)), {})
    return {name: example.get(name) for name in customer["properties"]}


def row(values: dict[str, Any], names: list[str]) -> dict[str, float]:
    """The form's values as numbers, in the schema's order; a clear message when one is not."""
    missing = [n for n in names if str(values.get(n, "")).strip() == ""]
    if missing:
        raise BadInput(f"fill in {', '.join(missing)}")
    out = {}
    for name in names:
        try:
            number = float(str(values[name]).strip())
        except ValueError:
            raise BadInput(f"{name}: {values[name]!r} is not a number") from None
        if not abs(number) <= MAX_ABS:
            raise BadInput(f"{name}: {values[name]!r} is out of range (±1e9)")
        out[name] = number
    return out


def _request_id() -> str:
    return "home-" + secrets.token_hex(6)


def _headers(settings: Settings, rid: str) -> dict[str, str]:
    headers = {"X-Request-ID": rid, "Content-Type": "application/json",
               "X-Requested-By": "lab-home"}  # fmt: skip
    if settings.API_TOKEN and is_loopback(settings.API_HOST):
        headers["Authorization"] = f"Bearer {settings.API_TOKEN}"  # the lab's own API only
    return headers


def log_lines(settings: Settings, rid: str, wait: float = LOG_WAIT) -> list[str]:
    """The API log's lines that carry request id `rid` (waits a moment for them to arrive)."""
    path = log_path(settings.run_dir, "api")
    deadline = time.monotonic() + wait
    while True:
        try:
            with path.open("rb") as fh:
                fh.seek(0, 2)
                fh.seek(max(0, fh.tell() - 512 * 1024))
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            text = ""
        found = [line for line in text.splitlines() if rid in line]
        if found or time.monotonic() > deadline:
            return found[-MAX_LOG_LINES:]
        time.sleep(0.1)


def _send(settings: Settings, path: str, **kwargs: Any) -> Answer:
    rid = _request_id()
    try:
        response = httpx.post(settings.api_url + path, headers=_headers(settings, rid),
                              timeout=TIMEOUT, trust_env=False, **kwargs)  # fmt: skip
    except httpx.HTTPError as exc:
        return Answer(0, {"detail": f"the API at {settings.api_url} does not answer ({exc})"},
                      rid, [])  # fmt: skip
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    rid = response.headers.get("x-request-id", rid)
    return Answer(response.status_code, body, rid, log_lines(settings, rid))


def predict(settings: Settings, values: dict[str, float]) -> Answer:
    return _send(settings, "/predict", json={"customer": values})


def segment_update(settings: Settings, customer_id: str) -> Answer:
    customer_id = customer_id.strip()
    if not _CUSTOMER.match(customer_id):
        raise BadInput(f"{customer_id!r} is not a customer id (e.g. CUST001: letters, digits, _ -)")
    return _send(settings, "/crm_segment_update", params={"customer_id": customer_id}, json={})
