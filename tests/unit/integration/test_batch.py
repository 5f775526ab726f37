"""The batch re-score's fault handling (respx): API down or without a model stops the run with
the reason; a customer deleted meanwhile is skipped and reported."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from lab.crm.client import CrmClient
from lab.data import FEATURE_NAMES
from lab.integration.batch import ApiScorer, BatchError, BatchOptions, rescore_all
from lab.integration.segments import load_rules

pytestmark = pytest.mark.anyio

CRM = "http://127.0.0.1:18001"
API = "http://127.0.0.1:18000"
FEATURES = {name: 1.0 for name in FEATURE_NAMES}


@pytest.fixture
def parts(settings_factory):
    settings = settings_factory(CRM_URL=CRM, API_PORT=18000, CRM_RETRIES=0)
    return CrmClient(settings), ApiScorer(settings), load_rules(settings.segment_rules_file)


def customers(mock: respx.MockRouter, ids: list[str]) -> None:
    items = [{"customer_id": c, "name": c, "created_at": "t", "segment": "low_risk"} for c in ids]
    page = {"items": items, "total": len(ids), "limit": 1000, "offset": 0}
    mock.get(f"{CRM}/customers").respond(json=page)


async def test_api_down_stops_the_run_with_the_fix(parts) -> None:
    crm, scorer, rules = parts
    with respx.mock(using="httpx") as mock:
        customers(mock, ["C1"])
        mock.get(f"{CRM}/customers/C1/features").respond(
            json={"customer_id": "C1", "features": FEATURES}
        )
        mock.post(f"{API}/predict").mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(BatchError, match="lab serve"):
            await rescore_all(crm, scorer, rules, BatchOptions())


async def test_api_without_model_stops_the_run_with_its_reason(parts) -> None:
    crm, scorer, rules = parts
    with respx.mock(using="httpx") as mock:
        customers(mock, ["C1"])
        mock.get(f"{CRM}/customers/C1/features").respond(
            json={"customer_id": "C1", "features": FEATURES}
        )
        mock.post(f"{API}/predict").respond(
            503, json={"detail": "no model is loaded: run `lab train`"}
        )
        with pytest.raises(BatchError, match="lab train"):
            await rescore_all(crm, scorer, rules, BatchOptions())


async def test_crm_down_stops_the_run(parts) -> None:
    crm, scorer, rules = parts
    with respx.mock(using="httpx") as mock:
        mock.get(f"{CRM}/customers").mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(BatchError, match="lab crm"):
            await rescore_all(crm, scorer, rules, BatchOptions())


async def test_deleted_customer_is_skipped_and_the_rest_written(parts) -> None:
    crm, scorer, rules = parts
    with respx.mock(using="httpx") as mock:
        customers(mock, ["C1", "C2", "C3"])
        for cid in ("C1", "C3"):
            mock.get(f"{CRM}/customers/{cid}/features").respond(
                json={"customer_id": cid, "features": FEATURES}
            )
        mock.get(f"{CRM}/customers/C2/features").respond(404)

        def predict(request: httpx.Request) -> httpx.Response:
            rows = json.loads(request.content)["instances"]
            return httpx.Response(
                200, json={"probabilities": [0.9] * len(rows), "model_version": "v7"}
            )

        def write(request: httpx.Request) -> httpx.Response:
            sent = json.loads(request.content)
            cid = request.url.path.split("/")[2]
            return httpx.Response(
                200, json=sent | {"customer_id": cid, "old_segment": None, "updated_at": "t"}
            )

        mock.post(f"{API}/predict").mock(side_effect=predict)
        puts = mock.put(url__regex=rf"{CRM}/customers/C[13]/segment").mock(side_effect=write)
        summary = await rescore_all(crm, scorer, rules, BatchOptions(run_id="run9"))
    assert (summary.customers, summary.written, summary.model_version) == (3, 2, "v7")
    assert set(summary.failures) == {"C2"} and summary.segments == {"high_risk": 2}
    sent = sorted(json.loads(c.request.content)["request_id"] for c in puts.calls)
    assert sent == ["run9-C1", "run9-C3"]


async def test_a_409_for_one_customer_is_a_skip_and_the_run_goes_on(parts) -> None:
    """A request id sent in advance (issue 13) took C1's key: C1 is skipped, C2 written."""
    crm, scorer, rules = parts
    with respx.mock(using="httpx") as mock:
        customers(mock, ["C1", "C2"])
        for cid in ("C1", "C2"):
            mock.get(f"{CRM}/customers/{cid}/features").respond(
                json={"customer_id": cid, "features": FEATURES}
            )
        mock.post(f"{API}/predict").respond(
            200, json={"probabilities": [0.9, 0.9], "model_version": "v7"}
        )
        mock.put(f"{CRM}/customers/C1/segment").respond(
            409, json={"title": "request_id reused", "detail": "request_id 'R1-C1' was used"}
        )
        mock.put(f"{CRM}/customers/C2/segment").respond(
            200, json={"customer_id": "C2", "old_segment": None, "segment": "high_risk",
                       "model_version": "v7", "probability": 0.9, "request_id": "R1-C2",
                       "updated_at": "t"},
        )  # fmt: skip
        summary = await rescore_all(crm, scorer, rules, BatchOptions(run_id="R1"))
    assert summary.written == 1
    assert list(summary.failures) == ["C1"] and "skipped (409)" in summary.failures["C1"]
