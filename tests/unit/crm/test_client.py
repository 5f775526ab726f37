"""The CRM client against injected faults (respx): every failure maps to its status and message."""

from __future__ import annotations

import httpx
import pytest
import respx

from lab.crm.client import CrmClient, backoff
from lab.crm.errors import (
    CrmBadGatewayError,
    CrmNotFoundError,
    CrmTimeoutError,
    CrmUnavailableError,
)
from lab.crm.ids import InvalidIdError
from lab.crm.schemas import SegmentUpdate
from lab.data import FEATURE_NAMES

pytestmark = pytest.mark.anyio

CRM = "http://127.0.0.1:18001"
FEATURES = {name: float(i) for i, name in enumerate(FEATURE_NAMES)}
UPDATE = SegmentUpdate(segment="high_risk", model_version="v1", probability=0.8, request_id="r1")
WRITE = {
    "customer_id": "CUST001", "old_segment": None, "segment": "high_risk", "model_version": "v1",
    "probability": 0.8, "request_id": "r1", "updated_at": "2026-01-01T00:00:00.000Z",
}  # fmt: skip


@pytest.fixture
def mock():
    with respx.mock(using="httpx") as router:
        yield router


@pytest.fixture
def crm(settings_factory):
    calls: list[tuple[str, float, str]] = []
    sleeps: list[float] = []

    async def no_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = CrmClient(
        settings_factory(CRM_URL=CRM, CRM_RETRIES=2),
        observe=lambda op, s, outcome: calls.append((op, s, outcome)),
        sleep=no_sleep,
    )
    client.calls, client.sleeps = calls, sleeps  # type: ignore[attr-defined]
    return client


def features_route(mock: respx.MockRouter, customer_id: str = "CUST001") -> respx.Route:
    return mock.get(f"{CRM}/customers/{customer_id}/features")


async def test_reads_features_in_model_order(mock: respx.MockRouter, crm: CrmClient) -> None:
    shuffled = dict(reversed(list(FEATURES.items())))
    features_route(mock).respond(json={"customer_id": "CUST001", "features": shuffled})
    assert await crm.get_features("CUST001") == [float(i) for i in range(10)]
    assert crm.calls[0][0] == "get_features" and crm.calls[0][2] == "success"


async def test_crm_404_is_customer_not_found(mock: respx.MockRouter, crm: CrmClient) -> None:
    route = features_route(mock).respond(404, json={"detail": "nope"})
    with pytest.raises(CrmNotFoundError, match="not found") as err:
        await crm.get_features("CUST001")
    assert err.value.status == 404 and route.call_count == 1  # a 404 is not retried


async def test_crm_5xx_is_retried_then_502(mock: respx.MockRouter, crm: CrmClient) -> None:
    route = features_route(mock).respond(500, text="boom")
    with pytest.raises(CrmBadGatewayError, match="HTTP 500") as err:
        await crm.get_features("CUST001")
    assert err.value.status == 502
    assert route.call_count == 3  # 1 + CRM_RETRIES
    assert len(crm.sleeps) == 2 and crm.sleeps[0] <= crm.sleeps[1] * 2


async def test_a_transient_5xx_recovers_on_retry(mock: respx.MockRouter, crm: CrmClient) -> None:
    ok = httpx.Response(200, json={"customer_id": "CUST001", "features": FEATURES})
    route = features_route(mock)
    route.side_effect = [httpx.Response(503), ok]
    assert len(await crm.get_features("CUST001")) == 10
    assert route.call_count == 2


async def test_malformed_json_is_502(mock: respx.MockRouter, crm: CrmClient) -> None:
    features_route(mock).respond(
        200, text="{not json", headers={"content-type": "application/json"}
    )
    with pytest.raises(CrmBadGatewayError, match="malformed JSON"):
        await crm.get_features("CUST001")


@pytest.mark.parametrize(
    "payload",
    [
        {"customer_id": "CUST001", "features": {**FEATURES, "extra": 1.0}},
        {
            "customer_id": "CUST001",
            "features": {k: v for k, v in FEATURES.items() if k != "monthly_spend"},
        },
        {"customer_id": "CUST001", "features": list(FEATURES.values())},
        {"customer_id": "CUST001", "features": {**FEATURES, "tenure_months": "ten"}},
        {"customer_id": "CUST001", "features": {**FEATURES, "tenure_months": True}},
        {"customer_id": "CUST001", "features": {**FEATURES, "tenure_months": None}},
        [1, 2, 3],
    ],
)
async def test_wrong_feature_shape_is_502(
    mock: respx.MockRouter, crm: CrmClient, payload: object
) -> None:
    features_route(mock).respond(json=payload)
    with pytest.raises(CrmBadGatewayError, match="features") as err:
        await crm.get_features("CUST001")
    assert err.value.status == 502


async def test_timeout_is_retried_then_504(mock: respx.MockRouter, crm: CrmClient) -> None:
    route = features_route(mock).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(CrmTimeoutError, match="did not answer") as err:
        await crm.get_features("CUST001")
    assert err.value.status == 504 and route.call_count == 3
    assert crm.calls[-1][2] == "crm_timeout"


async def test_connection_refused_is_503_naming_url_and_fix(
    mock: respx.MockRouter, crm: CrmClient
) -> None:
    features_route(mock).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(CrmUnavailableError) as err:
        await crm.get_features("CUST001")
    assert err.value.status == 503
    assert CRM in err.value.detail and "lab crm" in err.value.detail


async def test_dropped_connection_is_502(mock: respx.MockRouter, crm: CrmClient) -> None:
    features_route(mock).mock(side_effect=httpx.RemoteProtocolError("dropped"))
    with pytest.raises(CrmBadGatewayError, match="broke"):
        await crm.get_features("CUST001")


async def test_put_sends_the_token_and_is_retried_with_the_same_request_id(
    mock: respx.MockRouter, crm: CrmClient
) -> None:
    route = mock.put(f"{CRM}/customers/CUST001/segment")
    route.side_effect = [
        httpx.ReadTimeout("lost answer"),
        httpx.Response(200, json=WRITE | {"replayed": True}),
    ]
    write = await crm.put_segment("CUST001", UPDATE)
    assert write.segment == "high_risk" and route.call_count == 2
    sent = [call.request for call in route.calls]
    assert all(r.headers["authorization"] == "Bearer test-crm-token-0000" for r in sent)
    assert sent[0].content == sent[1].content and b'"request_id":"r1"' in sent[0].content.replace(
        b" ", b""
    )


async def test_put_rejected_token_is_502_saying_so(mock: respx.MockRouter, crm: CrmClient) -> None:
    mock.put(f"{CRM}/customers/CUST001/segment").respond(401, json={"detail": "no"})
    with pytest.raises(CrmBadGatewayError, match="CRM_TOKEN"):
        await crm.put_segment("CUST001", UPDATE)


async def test_put_answer_of_wrong_shape_is_502(mock: respx.MockRouter, crm: CrmClient) -> None:
    mock.put(f"{CRM}/customers/CUST001/segment").respond(json={"ok": True})
    with pytest.raises(CrmBadGatewayError, match="unexpected shape"):
        await crm.put_segment("CUST001", UPDATE)


@pytest.mark.parametrize("hostile", ["../x", "%2e%2e", "a" * 10_000, "x' OR 1=1", "CUSTé", ""])
async def test_hostile_ids_never_reach_the_network(crm: CrmClient, hostile: str) -> None:
    with respx.mock(using="httpx", assert_all_called=False) as mock:
        route = mock.route()
        with pytest.raises(InvalidIdError):
            await crm.get_features(hostile)
        with pytest.raises(InvalidIdError):
            await crm.put_segment(hostile, UPDATE)
        with pytest.raises(InvalidIdError):
            await crm.get_customer(hostile)
    assert route.call_count == 0


async def test_iter_customers_walks_every_page(mock: respx.MockRouter, crm: CrmClient) -> None:
    def page(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        ids = [f"C{i}" for i in range(offset, min(offset + 2, 5))]
        items = [{"customer_id": c, "name": c, "created_at": "t"} for c in ids]
        return httpx.Response(200, json={"items": items, "total": 5, "limit": 2, "offset": offset})

    mock.get(f"{CRM}/customers").mock(side_effect=page)
    ids = [c.customer_id async for c in crm.iter_customers(page_size=2)]
    assert ids == ["C0", "C1", "C2", "C3", "C4"]


def test_backoff_grows_and_is_capped() -> None:
    assert 0.05 <= backoff(0) <= 0.1
    assert 0.1 <= backoff(1) <= 0.2
    assert backoff(20) <= 2.0
