"""M4: the CRM integration: read a customer's features, predict, pick a segment, write it back."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import httpx
import yaml
from litestar import Request, Response, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import FromQuery

from app.metrics import safely
from app.model import FEATURE_NAMES, churn_probabilities, current_model

log = logging.getLogger("app.crm")
CUSTOMER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")
REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")
#: the CRM's last error answer in this request (each request runs in a context of its own)
CRM_ERROR: ContextVar[str | None] = ContextVar("crm_error", default=None)


def load_rules(path: Path) -> list[dict[str, Any]]:
    """The segment rules of config/segments.yml, highest `min_probability` first."""
    rules = yaml.safe_load(path.read_text(encoding="utf-8"))["segments"]
    return sorted(rules, key=lambda rule: -float(rule["min_probability"]))


def segment_for(probability: float, rules: list[dict[str, Any]]) -> str:
    """The first segment whose `min_probability` the churn probability reaches."""
    # BEGIN SOLUTION M4.segment_rule: map a churn probability to its segment with the rules of config/segments.yml
    # HINT: the rules arrive sorted by `min_probability`, highest first (`load_rules`): return the first rule's `name` whose threshold the probability reaches.
    # HINT zh-TW: 規則已依 `min_probability` 由高到低排序（`load_rules`）：回傳機率第一個達到門檻的規則的 `name`。
    for rule in rules:
        if probability >= float(rule["min_probability"]):
            return str(rule["name"])
    raise ValueError(f"no segment rule covers probability {probability}")
    # END SOLUTION


class CrmClient:
    """The CRM's API through one pooled `httpx.AsyncClient` (opened once, closed at shutdown).

    It remembers the CRM's last answer that was not a success during the current request
    (`CRM_ERROR`): when the flow fails, the API's error says what the CRM said.
    """

    def __init__(
        self, base_url: str, token: str, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.token = token
        self.http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(5.0, connect=2.0),
            transport=transport,
            event_hooks={"response": [self._remember]},
        )

    async def _remember(self, response: httpx.Response) -> None:
        if not response.is_success:
            body = (await response.aread()).decode("utf-8", errors="replace").strip()
            request = response.request
            CRM_ERROR.set(
                f"{request.method} {request.url.path} -> HTTP {response.status_code}: "
                f"{body[:200] or '(empty body)'}"
            )

    async def close(self) -> None:
        await self.http.aclose()

    async def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One CRM request; a CRM that is down, slow or answers badly is a 503, 504 or 502."""
        # BEGIN SOLUTION M4.crm_down: send the request; CRM down -> 503, too slow -> 504, bad answer -> 502
        # HINT: `await self.http.request(method, path, **kwargs)`; map `httpx.TimeoutException` to 504 and `httpx.TransportError` to 503 with `litestar.exceptions.HTTPException(status_code=..., detail=...)`.
        # HINT zh-TW: `await self.http.request(method, path, **kwargs)`；用 `litestar.exceptions.HTTPException(status_code=..., detail=...)` 把 `httpx.TimeoutException` 對應到 504、`httpx.TransportError` 對應到 503。
        try:
            response = await self.http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise HTTPException(
                status_code=504, detail=f"the CRM did not answer {path} in time"
            ) from None
        except httpx.TransportError as exc:
            raise HTTPException(status_code=503, detail=f"the CRM is unreachable: {exc}") from None
        if response.status_code == 404:
            raise HTTPException(status_code=404, detail=f"the CRM has no {path}")
        if response.status_code != 200:
            detail = f"the CRM answered {method} {path} with HTTP {response.status_code}"
            raise HTTPException(status_code=502, detail=detail)
        try:
            return response.json()
        except ValueError:
            raise HTTPException(
                status_code=502, detail=f"the CRM's answer to {path} is not JSON"
            ) from None
        # END SOLUTION

    async def features(self, customer_id: str) -> list[float]:
        """The customer's features as numbers in FEATURE_NAMES order (the CRM sends them by
        name, in any order); a CRM answer without them is a 502."""
        body = await self.call("GET", f"/customers/{customer_id}/features")
        features = body.get("features") if isinstance(body, dict) else None
        try:
            return [float(features[name]) for name in FEATURE_NAMES]  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            detail = f"the CRM's features of {customer_id} are not the {len(FEATURE_NAMES)} numbers"
            raise HTTPException(status_code=502, detail=f"{detail} {list(FEATURE_NAMES)}") from None

    async def write_segment(
        self, customer_id: str, segment: str, probability: float, version: str, request_id: str
    ) -> dict[str, Any]:
        """PUT the segment with the bearer token; request_id makes a retried write apply once."""
        # BEGIN SOLUTION M4.crm_record: PUT the segment to /customers/{id}/segment with `Authorization: Bearer CRM_TOKEN`
        # HINT: send the write through `self.call("PUT", path, json=body, headers=...)` so the CRM's failures get the same 503/504/502 handling as the read.
        # HINT zh-TW: 透過 `self.call("PUT", path, json=body, headers=...)` 送出寫入，CRM 的失敗就會得到與讀取相同的 503/504/502 處理。
        # HINT: the body carries the `request_id` you were given, never a fresh `uuid.uuid4()`: the CRM applies writes with the same id once, so a retry is safe.
        # HINT zh-TW: 本文帶著傳入的 `request_id`，絕不用新的 `uuid.uuid4()`：CRM 對同一 ID 的寫入只套用一次，重試才安全。
        body = {
            "segment": segment,
            "model_version": version,
            "probability": probability,
            "request_id": request_id,
        }
        headers = {"Authorization": f"Bearer {self.token}"}
        path = f"/customers/{customer_id}/segment"
        return await self.call("PUT", path, json=body, headers=headers)
        # END SOLUTION


def step(request_id: str, customer_id: str, number: int, what: str) -> None:
    """One line of the flow's log: its request id, the customer, `step n/4` and what happened."""
    # BEGIN SOLUTION M4.flow_log: log the step with the request id, e.g. `request_id=... step 2/4 ...`
    # HINT: use the logger's own formatting, `log.info("request_id=%s ... step %d/4 %s", ...)`: the arguments are only formatted when the line is emitted.
    # HINT zh-TW: 使用 logger 自己的格式化 `log.info("request_id=%s ... step %d/4 %s", ...)`：只有真的輸出該行時才會格式化參數。
    log.info("request_id=%s customer=%s step %d/4 %s", request_id, customer_id, number, what)
    # END SOLUTION


@post("/crm_segment_update", status_code=200)
async def crm_segment_update(
    customer_id: FromQuery[str], request: Request[Any, Any, Any], state: State
) -> Response[dict[str, Any]]:
    """Read the customer's features from the CRM, predict, and write the segment back."""
    rid = request.headers.get("x-request-id") or uuid.uuid4().hex
    if not REQUEST_ID.match(rid):
        rid = uuid.uuid4().hex
    if not CUSTOMER_ID.match(customer_id):
        raise ValidationException("customer_id: 1-64 letters, digits, _ or -, e.g. CUST_TEST_007")
    outcome, version = "error", "none"
    try:
        # BEGIN SOLUTION M4.segment_update: read the features, predict, map to a segment, write it back
        # HINT: call `step(rid, customer_id, n, what)` after each of the four steps, and set `outcome` before returning so the `finally:` counts the call by its outcome.
        # HINT zh-TW: 四個步驟各自完成後呼叫 `step(rid, customer_id, n, what)`，回傳前設定 `outcome`，讓 `finally:` 依結果計數。
        crm: CrmClient = state.crm
        features = await crm.features(customer_id)
        step(rid, customer_id, 1, f"read {len(features)} features")
        loaded = await current_model(state)
        version = loaded.version
        probability = round(churn_probabilities(loaded, [features])[0], 4)
        step(rid, customer_id, 2, f"predicted p={probability:.4f} with model {version}")
        segment = segment_for(probability, state.segment_rules)
        step(rid, customer_id, 3, f"segment {segment}")
        written = await crm.write_segment(customer_id, segment, probability, version, rid)
        step(rid, customer_id, 4, f"wrote {written['segment']} to the CRM")
        outcome = "updated"
        answer = {
            "customer_id": customer_id,
            "old_segment": written.get("old_segment"),
            "new_segment": segment,
            "probability": probability,
            "model_version": version,
        }
        return Response(answer, headers={"X-Request-ID": rid})
        # END SOLUTION
    finally:
        safely(state.metrics.observe_crm_update, outcome, version)
