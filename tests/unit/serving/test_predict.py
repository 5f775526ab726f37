"""POST /predict: the three body forms, every bad-input class, no model (Litestar TestClient)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lab import data
from lab.training.manifest import load_from_manifest
from tests.unit.serving.conftest import metric_value

ROWS = data.generate_features(5, seed=3)
ROW = ROWS[0].tolist()
PROBLEM = "application/problem+json"


def sklearn_probability(settings, X: np.ndarray) -> np.ndarray:
    model, _ = load_from_manifest(settings.manifest_path)
    return model.predict_proba(X)[:, 1]


def test_one_row_answers_class_probability_and_version(client, settings) -> None:
    response = client.post("/predict", json={"features": ROW})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"prediction", "probability", "model_version", "registry_version"}
    expected = sklearn_probability(settings, ROWS[:1])[0]
    assert body["probability"] == pytest.approx(expected, abs=1e-12)
    assert body["prediction"] == int(expected > 0.5)
    assert body["model_version"] == "v-unit"


def test_a_200_is_json_with_its_length_and_request_id(client) -> None:
    response = client.post("/predict", json={"features": ROW})
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["x-request-id"]


def test_json_without_content_type_is_accepted(client) -> None:
    """`curl -d` sends application/x-www-form-urlencoded; the body is JSON all the same."""
    body = json.dumps({"features": ROW}).encode()
    form = client.post(
        "/predict", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    bare = client.post("/predict", content=body, headers={"Content-Type": ""})
    assert form.status_code == bare.status_code == 200
    assert form.json() == bare.json()


def test_batch_answers_each_row_in_order(client, settings) -> None:
    response = client.post("/predict", json={"instances": ROWS.tolist()})
    assert response.status_code == 200, response.text
    body = response.json()
    expected = sklearn_probability(settings, ROWS)
    assert body["rows"] == len(ROWS)
    assert body["probabilities"] == pytest.approx(expected.tolist(), abs=1e-12)
    assert body["predictions"] == [int(p > 0.5) for p in expected]


def test_named_customer_equals_the_same_row(client) -> None:
    named = client.post("/predict", json={"customer": data.as_records(ROWS[:1])[0]})
    positional = client.post("/predict", json={"features": ROW})
    assert named.status_code == 200
    assert named.json() == positional.json()


BAD = {
    "wrong length": ({"features": ROW[:9]}, 422, "features", "exactly 10 numbers"),
    "too long": ({"features": [*ROW, 1.0]}, 422, "features", "exactly 10 numbers"),
    "non-numeric": ({"features": [*ROW[:9], "high"]}, 422, "features[9]", "a number"),
    "boolean": ({"features": [True, *ROW[1:]]}, 422, "features[0]", "a number"),
    "null value": ({"features": [None, *ROW[1:]]}, 422, "features[0]", "a number"),
    "out of range": ({"features": [*ROW[:9], 1e12]}, 422, "features[9]", "±1e9"),
    "empty object": ({}, 422, "body", "exactly one of"),
    "two forms": ({"features": ROW, "instances": [ROW]}, 422, "body", "exactly one of"),
    "unknown field": ({"feature": ROW}, 422, "body", "unknown field `feature`"),
    "empty batch": ({"instances": []}, 422, "instances", "at least one row"),
    "ragged batch": ({"instances": [ROW, ROW[:3]]}, 422, "instances[1]", "exactly 10"),
    "bad cell in batch": (
        {"instances": [ROW, [*ROW[:4], "x", *ROW[5:]]]},
        422,
        "instances[1][4]",
        "a number",
    ),
    "unknown customer field": (
        {"customer": {**data.as_records(ROWS[:1])[0], "age": 3}},
        422,
        "customer",
        "`age`",
    ),
    "missing customer field": ({"customer": {"tenure_months": 3}}, 422, "customer", "missing"),
    "not an object": ([ROW], 422, "body", "object"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_json_gets_a_problem_that_names_the_field(client, name: str) -> None:
    body, status, field, words = BAD[name]
    response = client.post("/predict", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == status
    assert problem["field"] == field
    assert words in problem["detail"]
    assert problem["expected"]  # says what shape to send
    assert problem["request_id"] == response.headers["x-request-id"]


RAW = {
    "empty body": (b"", 400, "empty"),
    "malformed JSON": (b'{"features": [1, 2,', 400, "not valid JSON"),
    "NaN": (b'{"features": [NaN, 1, 1, 1, 1, 1, 1, 1, 1, 1]}', 400, "not valid JSON"),
    "Infinity": (b'{"features": [Infinity, 1, 1, 1, 1, 1, 1, 1, 1, 1]}', 400, "not valid JSON"),
    "overflowing number": (b'{"features": [1e999, 1, 1, 1, 1, 1, 1, 1, 1, 1]}', 422, "range"),
    "form encoding": (b"features=1&features=2", 400, "not valid JSON"),
    "trailing garbage": (b'{"features": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]} x', 400, "not valid"),
}


@pytest.mark.parametrize("name", RAW)
def test_bad_bytes_get_a_problem(client, name: str) -> None:
    body, status, words = RAW[name]
    response = client.post("/predict", content=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert words in response.json()["detail"]


def test_batch_over_the_row_limit_is_413(offline) -> None:
    from litestar.testing import TestClient

    from lab.serving.app import create_app
    from tests.model_files import write_model

    settings = offline(PREDICT_MAX_ROWS=3)
    write_model(settings)
    with TestClient(create_app(settings)) as client:
        ok = client.post("/predict", json={"instances": [ROW] * 3})
        over = client.post("/predict", json={"instances": [ROW] * 4})
    assert ok.status_code == 200
    assert over.status_code == 413
    assert "limit of 3" in over.json()["detail"]
    assert "1 to 3 rows" in over.json()["expected"]


def test_oversized_body_is_413(offline) -> None:
    from litestar.testing import TestClient

    from lab.serving.app import create_app
    from tests.model_files import write_model

    settings = offline(PREDICT_MAX_BODY_BYTES=2048)
    write_model(settings)
    with TestClient(create_app(settings)) as client:
        response = client.post("/predict", json={"instances": [ROW] * 200})
    assert response.status_code == 413
    assert "2048 bytes" in response.json()["detail"]


def test_no_model_is_503_with_the_reason(no_model_client) -> None:
    response = no_model_client.post("/predict", json={"features": ROW})
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert "lab train" in response.json()["detail"]


def test_outcomes_are_counted_by_model_version(client) -> None:
    client.post("/predict", json={"features": ROW})
    client.post("/predict", json={"instances": [ROW, ROW]})
    client.post("/predict", json={"features": []})
    text = client.get("/metrics").text
    ok = metric_value(text, "prediction_requests_total", model_version="v-unit", outcome="ok")
    bad = metric_value(text, "prediction_requests_total", model_version="v-unit", outcome="invalid")
    assert (ok, bad) == (2, 1)
    assert metric_value(text, "prediction_rows_total", model_version="v-unit") == 3
    assert metric_value(text, "prediction_latency_seconds_count", model_version="v-unit") == 2


def test_unknown_path_and_wrong_method_are_problems(client) -> None:
    missing = client.get("/nope")
    wrong = client.get("/predict")
    assert missing.status_code == 404
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["allow"]
    for response in (missing, wrong):
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["request_id"]


def test_a_page_of_another_origin_cannot_predict(client) -> None:
    """A web page's simple form POST (no preflight) carries Origin / Sec-Fetch-Site: refused,
    so a page cannot fill the metrics and drift windows; curl (neither header) and the API's
    own page (/swagger, same origin) still predict."""
    body = json.dumps({"features": ROW}).encode()
    form = {"Content-Type": "text/plain"}
    refused = [
        client.post("/predict", content=body, headers={**form, **headers})
        for headers in (
            {"Origin": "http://evil.example"},
            {"Origin": "null"},
            {"Origin": "http://127.0.0.1:9999"},
            {"Sec-Fetch-Site": "cross-site"},
        )
    ]
    for answer in refused:
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"].startswith(PROBLEM)
        assert "a web page cannot call /predict" in answer.json()["detail"]
    own = client.post("/predict", content=body, headers={**form, "Origin": "http://127.0.0.1:80"})
    same = client.post("/predict", content=body, headers={"Sec-Fetch-Site": "same-origin"})
    plain = client.post("/predict", content=body, headers=form)
    assert (own.status_code, same.status_code, plain.status_code) == (200, 200, 200)
