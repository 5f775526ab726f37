"""The CRM app in-process (Litestar TestClient) over a real SQLite store in a temp LAB_HOME."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from lab.crm.app import CrmConfigError, create_app
from lab.data import FEATURE_NAMES

AUTH = {"Authorization": "Bearer test-crm-token-0000"}
HOSTILE_IDS = ["%2e%2e", "..", "x" * 10_000, "CUST'001", "CUST001%27%20OR%201=1", "CUSTé", "-x"]


def body(request_id: str = "req-1", segment: str = "high_risk", p: float = 0.8) -> dict:
    return {
        "segment": segment,
        "model_version": "v1.0.0",
        "probability": p,
        "request_id": request_id,
    }


@pytest.fixture
def client(settings_factory) -> Iterator[TestClient]:
    app = create_app(settings_factory(CRM_SEED_CUSTOMERS=10))
    with TestClient(app) as c:
        yield c


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    data = response.json()
    assert data["status"] == status and data["title"] and data["detail"]
    return data


def test_refuses_to_start_without_a_token(settings_factory) -> None:
    with pytest.raises(CrmConfigError, match="lab init"):
        create_app(settings_factory(CRM_TOKEN=""))


def test_customer_and_features(client: TestClient) -> None:
    customer = client.get("/customers/CUST_TEST_007").json()
    assert customer["customer_id"] == "CUST_TEST_007" and customer["segment"] is None
    features = client.get("/customers/CUST_TEST_007/features").json()["features"]
    assert list(features) == list(FEATURE_NAMES)


def test_list_filters_by_segment_and_paginates(client: TestClient) -> None:
    page = client.get("/customers", params={"limit": 3, "offset": 1}).json()
    assert page["total"] == 14 and len(page["items"]) == 3 and page["offset"] == 1
    client.put("/customers/CUST002/segment", json=body(), headers=AUTH)
    high = client.get("/customers", params={"segment": "high_risk"}).json()
    assert [c["customer_id"] for c in high["items"]] == ["CUST002"]
    problem(client.get("/customers", params={"limit": 0}), 400)
    problem(client.get("/customers", params={"segment": "DROP TABLE"}), 400)


def test_put_updates_the_record_and_history(client: TestClient) -> None:
    answer = client.put("/customers/CUST001/segment", json=body(), headers=AUTH)
    assert answer.status_code == 200, answer.text
    assert answer.json()["old_segment"] is None and answer.json()["replayed"] is False
    assert client.get("/customers/CUST001").json()["segment"] == "high_risk"
    history = client.get("/customers/CUST001/history").json()
    assert history["total"] == 1
    assert history["items"][0] | {"updated_at": None} == {
        "request_id": "req-1", "old_segment": None, "segment": "high_risk",
        "model_version": "v1.0.0", "probability": 0.8, "updated_at": None,
    }  # fmt: skip


def test_put_is_idempotent_by_request_id(client: TestClient) -> None:
    first = client.put("/customers/CUST001/segment", json=body("same"), headers=AUTH).json()
    again = client.put("/customers/CUST001/segment", json=body("same"), headers=AUTH).json()
    assert again["replayed"] is True and again["updated_at"] == first["updated_at"]
    assert client.get("/customers/CUST001/history").json()["total"] == 1
    conflict = client.put("/customers/CUST001/segment", json=body("same", "low_risk"), headers=AUTH)
    assert "request_id" in problem(conflict, 409)["detail"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-crm-token-0000"}]
)
def test_put_requires_the_bearer_token(client: TestClient, headers: dict) -> None:
    response = client.put("/customers/CUST001/segment", json=body(), headers=headers)
    assert "CRM_TOKEN" in problem(response, 401)["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/customers/CUST001").json()["segment"] is None


def test_unknown_customer_is_404_and_not_created(client: TestClient) -> None:
    problem(client.get("/customers/CUST999"), 404)
    problem(client.get("/customers/CUST999/features"), 404)
    problem(client.get("/customers/CUST999/history"), 404)
    problem(client.put("/customers/CUST999/segment", json=body(), headers=AUTH), 404)
    assert client.get("/customers").json()["total"] == 14
    assert client.get("/health").json()["history_rows"] == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"segment": "High Risk"},
        {"segment": "high_risk\n"},
        {"probability": 1.5},
        {"probability": "NaN"},
        {"request_id": ""},
        {"request_id": "../../x"},
        {"model_version": "v1 OR 1"},
        {"probability": False},
        {"probability": "0.5"},
    ],
)
def test_put_rejects_bad_bodies(client: TestClient, bad: dict) -> None:
    response = client.put("/customers/CUST001/segment", json=body() | bad, headers=AUTH)
    problem(response, 400)
    assert client.get("/customers/CUST001").json()["segment"] is None


def test_put_rejects_malformed_json_and_huge_bodies(client: TestClient) -> None:
    headers = AUTH | {"content-type": "application/json"}
    problem(client.put("/customers/CUST001/segment", content=b"{nope", headers=headers), 400)
    huge = b'{"segment": "' + b"a" * 100_000 + b'"}'
    response = client.put("/customers/CUST001/segment", content=huge, headers=headers)
    assert response.status_code == 413


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_hostile_ids_are_rejected_before_the_store(client: TestClient, hostile: str) -> None:
    for suffix in ("", "/features", "/history"):
        response = client.get(f"/customers/{hostile}{suffix}")
        assert 400 <= response.status_code < 500, response.text
        assert len(response.text) < 2000  # a 10 kB id is not echoed back
    put = client.put(f"/customers/{hostile}/segment", json=body(), headers=AUTH)
    assert 400 <= put.status_code < 500
    assert client.get("/health").json()["history_rows"] == 0


def test_health_metrics_and_openapi(client: TestClient) -> None:
    client.put("/customers/CUST001/segment", json=body(), headers=AUTH)
    client.put("/customers/CUST001/segment", json=body(), headers=AUTH)
    client.put("/customers/CUST001/segment", json=body(), headers={})
    assert client.get("/health").json() == {
        "status": "ok", "customers": 14, "history_rows": 1
    }  # fmt: skip
    metrics = client.get("/metrics").text
    assert 'crm_segment_writes_total{outcome="applied"} 1.0' in metrics
    assert 'crm_segment_writes_total{outcome="replayed"} 1.0' in metrics
    assert 'crm_segment_writes_total{outcome="unauthorized"} 1.0' in metrics
    assert "crm_customers 14.0" in metrics
    assert (
        'crm_requests_total{app_name="crm",method="PUT",path="/customers/{customer_id}/segment"'
        in metrics
    )
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert {"/customers", "/customers/{customer_id}/segment", "/health"} <= set(paths)


@pytest.mark.anyio
async def test_checkpoint_loop_runs_in_a_thread_and_survives_errors() -> None:
    import asyncio
    import sqlite3
    import threading

    from lab.crm.app import checkpoint_forever

    calls: list[str] = []

    class Store:
        def checkpoint(self) -> None:
            calls.append(threading.current_thread().name)
            if len(calls) == 1:
                raise sqlite3.OperationalError("database is locked")

    task = asyncio.create_task(checkpoint_forever(Store(), every=0.01))  # type: ignore[arg-type]
    for _ in range(500):
        if len(calls) >= 3:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    assert len(calls) >= 3  # the error did not stop the loop
    assert threading.main_thread().name not in calls  # never on the event loop's thread


def test_every_crm_error_carries_the_request_id(client: TestClient) -> None:
    """The CRM's problems come from lab.web.problems: the body's request_id is the one the
    caller sent (X-Request-ID), so a CRM error can be found in the CRM's log from the API's."""
    sent = {"X-Request-ID": "crm-test-rid-0001"}
    missing = problem(client.get("/customers/CUST_NOPE_1", headers=sent), 404)
    assert missing["title"] == "Customer not found" and missing["request_id"] == "crm-test-rid-0001"
    refused = client.put("/customers/CUST002/segment", json=body(), headers=sent)
    assert problem(refused, 401)["request_id"] == "crm-test-rid-0001"
    assert refused.headers["www-authenticate"] == 'Bearer realm="crm"'
    bad = problem(client.put("/customers/CUST002/segment", json={"x": 1}, headers=AUTH), 400)
    assert bad["title"] == "Invalid request" and bad["request_id"]
