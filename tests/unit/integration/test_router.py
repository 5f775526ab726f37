"""POST /crm_segment_update plugged into the real serving app (Litestar TestClient).

The model is a really fitted pipeline written as a verified model file; the CRM is replaced by
respx only to inject its faults.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import respx
from litestar.testing import TestClient

from lab import data
from lab.api import create_api
from lab.integration.flow import crm_request_id
from lab.serving.registry_client import RegistryUnavailable
from tests.model_files import write_model

CRM = "http://127.0.0.1:18001"
FEATURES = dict(zip(data.FEATURE_NAMES, map(float, data.generate_features(1, 5)[0]), strict=True))
ROW = list(FEATURES.values())


class NoRegistry:
    tracking_uri = "http://127.0.0.1:1"

    async def resolve(self):
        raise RegistryUnavailable("MLflow is down in this test")

    async def aclose(self) -> None:
        return None


@contextmanager
def crm_mock() -> Iterator[respx.MockRouter]:
    """respx on every httpx client (the app's CRM client has its own transport); the test
    client's own calls to the app pass through."""
    with respx.mock(using="httpx", assert_all_called=False) as mock:
        mock.route(host="testserver.local").pass_through()
        yield mock


@contextmanager
def api(settings) -> Iterator[TestClient]:
    with TestClient(create_api(settings, registry=NoRegistry())) as client:
        yield client


@pytest.fixture
def settings(settings_factory):
    s = settings_factory(CRM_URL=CRM, CRM_RETRIES=0, MODEL_POLL_SECONDS=3600)
    write_model(s, "v-router")
    return s


def crm_routes(mock: respx.MockRouter) -> tuple[respx.Route, respx.Route]:
    read = mock.get(f"{CRM}/customers/CUST_TEST_007/features")
    read.respond(json={"customer_id": "CUST_TEST_007", "features": FEATURES})

    def answer(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        extra = {"customer_id": "CUST_TEST_007", "old_segment": None, "updated_at": "t"}
        return httpx.Response(200, json=sent | extra)

    write = mock.put(f"{CRM}/customers/CUST_TEST_007/segment").mock(side_effect=answer)
    return read, write


def test_update_answers_what_changed_and_counts_it(settings) -> None:
    with api(settings) as client, crm_mock() as mock:
        _, write = crm_routes(mock)
        response = client.post(
            "/crm_segment_update", params={"customer_id": "CUST_TEST_007"},
            headers={"X-Request-ID": "trace-42"},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        body = response.json()
        predicted = client.post("/predict", json={"features": ROW}).json()
        metrics = client.get("/metrics").text
    assert set(body) == {
        "customer_id", "old_segment", "new_segment", "probability", "model_version",
        "updated_at", "request_id", "recorded",
    }  # fmt: skip
    assert body["probability"] == pytest.approx(predicted["probability"])
    assert (body["model_version"], body["request_id"]) == ("v-router", "trace-42")
    assert response.headers["x-request-id"] == "trace-42"
    sent = json.loads(write.calls.last.request.content)
    # the CRM key: derived from the caller's id in the API's own namespace, not the id itself
    key = crm_request_id("trace-42", "CUST_TEST_007", settings.CRM_TOKEN)
    assert sent["request_id"] == key != "trace-42"
    assert sent["request_id"].startswith("api:") and sent["segment"] == body["new_segment"]
    assert (
        f'crm_segment_updates_total{{outcome="success",segment="{body["new_segment"]}"}} 1.0'
        in metrics
    )
    assert (
        'crm_call_duration_seconds_count{operation="get_features",outcome="success"} 1.0' in metrics
    )


def test_no_model_is_503_and_nothing_is_written(settings) -> None:
    settings.manifest_path.unlink()
    settings.model_path.unlink()
    with (
        api(settings) as client,
        crm_mock() as mock,
    ):
        _, write = crm_routes(mock)
        response = client.post("/crm_segment_update", params={"customer_id": "CUST_TEST_007"})
    assert response.status_code == 503 and "lab train" in response.json()["detail"]
    assert write.call_count == 0


def test_crm_down_is_503_with_the_fix_and_predict_keeps_working(settings) -> None:
    with api(settings) as client, crm_mock() as mock:
        mock.route(host="127.0.0.1").mock(side_effect=httpx.ConnectError("refused"))
        response = client.post("/crm_segment_update", params={"customer_id": "CUST_TEST_007"})
        assert client.post("/predict", json={"features": ROW}).status_code == 200
    problem = response.json()
    assert response.status_code == 503 and response.headers["retry-after"]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert CRM in problem["detail"] and "lab crm" in problem["detail"]
    assert problem["outcome"] == "crm_unavailable" and problem["request_id"]


@pytest.mark.parametrize("hostile", ["../x", "%2e%2e", "x" * 10_000, "CUST' OR '1'='1", "ünï", ""])
def test_hostile_ids_are_4xx_without_a_crm_call(settings, hostile: str) -> None:
    with (
        api(settings) as client,
        crm_mock() as mock,
    ):
        everything = mock.route(host="127.0.0.1")
        response = client.post("/crm_segment_update", params={"customer_id": hostile})
    assert 400 <= response.status_code < 500 and everything.call_count == 0
    assert len(response.text) < 1000


def test_missing_customer_id_is_400(settings) -> None:
    with api(settings) as client:
        response = client.post("/crm_segment_update")
    assert response.status_code == 400 and "customer_id" in response.json()["detail"]


def test_a_bad_rules_file_turns_the_flow_off_not_the_api(settings_factory, tmp_path) -> None:
    bad = tmp_path / "segments.yml"
    bad.write_text("segments:\n  - {name: only, min_probability: 0.5}\n", encoding="utf-8")
    settings = settings_factory(CRM_URL=CRM, SEGMENT_RULES_FILE=bad)
    write_model(settings, "v-router")
    with (
        api(settings) as client,
        crm_mock() as mock,
    ):
        everything = mock.route(host="127.0.0.1")
        response = client.post("/crm_segment_update", params={"customer_id": "CUST_TEST_007"})
        assert client.post("/predict", json={"features": ROW}).status_code == 200
        metrics = client.get("/metrics").text
    assert response.status_code == 503 and str(bad) in response.json()["detail"]
    assert everything.call_count == 0
    assert 'crm_segment_updates_total{outcome="rules_invalid",segment="none"} 1.0' in metrics


def test_route_is_documented(settings) -> None:
    with api(settings) as client:
        paths = client.get("/schema/openapi.json").json()["paths"]
    assert "post" in paths["/crm_segment_update"]


def test_off_loopback_the_update_needs_the_api_token(settings) -> None:
    exposed = settings.model_copy(update={"API_HOST": "0.0.0.0"})
    with api(exposed) as client, crm_mock() as mock:
        _, write = crm_routes(mock)
        url, params = "/crm_segment_update", {"customer_id": "CUST_TEST_007"}
        missing = client.post(url, params=params)
        wrong = client.post(url, params=params, headers={"Authorization": "Bearer nope"})
        odd = client.post(url, params=params, headers={"Authorization": "Bearer ünï".encode()})
        assert write.call_count == 0
        right = client.post(
            url, params=params, headers={"Authorization": "Bearer test-api-token-0000"}
        )
        predict = client.post("/predict", json={"features": ROW})  # predictions stay open
    for refused in (missing, wrong, odd):
        assert refused.status_code == 401, refused.text
        assert "API_TOKEN" in refused.json()["detail"]
    assert right.status_code == 200 and predict.status_code == 200
    no_token = exposed.model_copy(update={"API_TOKEN": ""})
    with api(no_token) as client:
        off = client.post(url, params=params)
    assert off.status_code == 403 and "API_TOKEN is not set" in off.json()["detail"]


def test_on_loopback_the_plain_curl_line_keeps_working(settings) -> None:
    with api(settings) as client, crm_mock() as mock:
        crm_routes(mock)
        response = client.post("/crm_segment_update", params={"customer_id": "CUST_TEST_007"})
    assert response.status_code == 200


def test_on_loopback_a_page_from_another_origin_cannot_write(settings) -> None:
    """What a browser adds to a simple cross-origin POST (Origin, Sec-Fetch-Site) is refused
    without the token; the API's own pages (same origin) and the token still work."""
    url, params = "/crm_segment_update", {"customer_id": "CUST_TEST_007"}
    with api(settings) as client, crm_mock() as mock:
        _, write = crm_routes(mock)
        own_port = 80  # TestClient's server port: the only port an own page can have
        refused = [
            client.post(url, params=params, headers=headers)
            for headers in (
                {"Origin": "http://evil.example"},
                {"Origin": "null"},  # a sandboxed frame
                {"Origin": "http://127.0.0.1:9999"},  # another local app
                {"Origin": "http://rebound.example:80"},  # DNS rebinding: Host lies, Origin not
                {"Sec-Fetch-Site": "cross-site"},
                {"Origin": "http://evil.example", "Authorization": "Bearer nope"},
            )
        ]
        assert write.call_count == 0
        own = client.post(url, params=params, headers={"Origin": f"http://127.0.0.1:{own_port}"})
        same = client.post(url, params=params, headers={"Sec-Fetch-Site": "same-origin"})
        with_token = {"Origin": "http://x.example", "Authorization": "Bearer test-api-token-0000"}
        token = client.post(url, params=params, headers=with_token)
    for answer in refused:
        assert answer.status_code == 403, answer.text
        assert "a web page cannot update the CRM" in answer.json()["detail"]
    assert (own.status_code, same.status_code, token.status_code) == (200, 200, 200)


def test_a_request_id_sent_in_advance_cannot_take_a_batch_runs_key() -> None:
    """`lab segment --all --run-id R1` writes with `R1-<customer>`; the API never does."""
    for given in ("R1-CUST001", "R1", "api:x"):
        key = crm_request_id(given, "CUST001", "secret-a-0000000")
        assert key.startswith("api:") and key != given and len(key) == 36
    same = crm_request_id("same", "CUST001", "secret-a-0000000")
    assert same == crm_request_id("same", "CUST001", "secret-a-0000000")  # a retry writes once


def test_the_key_is_keyed_by_the_secret_and_the_customer() -> None:
    """Knowing another caller's X-Request-ID is not enough to take its write's key (409): the
    key needs the API's secret, and differs per customer."""
    key = crm_request_id("rid-1", "CUST001", "secret-a-0000000")
    assert key != crm_request_id("rid-1", "CUST001", "secret-b-0000000")
    assert key != crm_request_id("rid-1", "CUST002", "secret-a-0000000")
    unkeyed = hashlib.blake2b(b"rid-1", digest_size=16, person=b"lab-api-crm-key").hexdigest()
    assert key != "api:" + unkeyed
