"""Unit tests of the service, in-process with a fake CRM (M6)."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.crm import load_rules, segment_for
from tests.conftest import ROW, SEGMENTS


def counter(client, name: str) -> float:
    # BEGIN SOLUTION M6.tests: read a counter's value (all its label sets) from the metrics page
    # HINT: use the fixtures of this file (`client`, `fake_crm`) and assert exact values (`status_code`, a counter's delta), never only that a call returned.
    # HINT zh-TW: 使用本檔的 fixture（`client`、`fake_crm`），斷言確切的值（`status_code`、計數器的增量），而不只是呼叫有回應。
    text = client.get("/metrics").text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    )
    # END SOLUTION


def test_health_reports_the_loaded_model(client) -> None:
    # BEGIN SOLUTION M6.tests: GET /health answers model_loaded true and the model's version
    body = client.get("/health").json()
    assert body["model_loaded"] is True
    assert body["model_version"] == "v-test"
    # END SOLUTION


def test_predict_answers_a_valid_row(client) -> None:
    # BEGIN SOLUTION M6.tests: POST /predict with 10 numbers answers 200, a class, a probability and the version
    response = client.post("/predict", json={"features": ROW})
    assert response.status_code == 200
    body = response.json()
    assert body["prediction"] in (0, 1)
    assert 0.0 <= body["churn_probability"] <= 1.0
    assert body["model_version"] == "v-test"
    # END SOLUTION


@pytest.mark.parametrize(
    "body", [{"features": [1, 2, 3]}, {"features": "abc"}, {"rows": []}, {"features": [None] * 10}]
)
def test_predict_rejects_bad_input(client, body) -> None:
    # BEGIN SOLUTION M6.tests: a bad body gets a 4xx problem that says what is wrong, never 2xx or 5xx
    response = client.post("/predict", json=body)
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]
    # END SOLUTION


def test_prediction_counter_moves(client) -> None:
    # BEGIN SOLUTION M6.tests: each /predict moves prediction_requests_total
    before = counter(client, "prediction_requests_total")
    client.post("/predict", json={"features": ROW})
    assert counter(client, "prediction_requests_total") == before + 1
    # END SOLUTION


def test_segment_rules() -> None:
    # BEGIN SOLUTION M6.tests: the rules of config/segments.yml map probabilities to the right segments
    rules = load_rules(SEGMENTS)
    assert segment_for(0.95, rules) == "high_risk"
    assert segment_for(0.5, rules) == "medium_risk"
    assert segment_for(0.05, rules) == "low_risk"
    # END SOLUTION


def test_crm_segment_update_writes_the_segment(client, fake_crm) -> None:
    # BEGIN SOLUTION M6.tests: the update reads the features, writes the segment with the token, answers it
    response = client.post("/crm_segment_update", params={"customer_id": "CUST_TEST_007"})
    assert response.status_code == 200
    body = response.json()
    puts = [r for r in fake_crm.requests if r.method == "PUT"]
    assert len(puts) == 1
    assert puts[0].headers["authorization"] == "Bearer test-token"
    expected = segment_for(body["probability"], load_rules(SEGMENTS))
    assert body["new_segment"] == expected == fake_crm.segments["CUST_TEST_007"]
    assert counter(client, "crm_segment_updates_total") == 1
    # END SOLUTION
