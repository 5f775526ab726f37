"""M4's public tests: the segment update, its log, and each way the CRM can fail (tasks/M4.md).

The CRM here is a fake (`crm` fixture): it records what the app sent and can be told to be
down (503), slow (504), or to answer badly (502).
"""

from __future__ import annotations

import json
import logging

import pytest

from tests.conftest import ROW, SEGMENTS
from tests.public.conftest import ROOT

pytestmark = pytest.mark.M4
CUSTOMER = "CUST_TEST_007"


def _update(service, customer: str = CUSTOMER, request_id: str = "public-test-1"):
    return service.post(
        "/crm_segment_update", params={"customer_id": customer},
        headers={"X-Request-ID": request_id},
    )  # fmt: skip


def test_the_update_writes_the_segment_with_the_token(service, crm) -> None:
    response = _update(service)
    assert response.status_code == 200, response.text
    body = response.json()
    for key in ("customer_id", "old_segment", "new_segment", "probability", "model_version"):
        assert key in body, f"the answer lacks {key}"
    puts = [r for r in crm.requests if r.method == "PUT"]
    assert len(puts) == 1, "the CRM was not written once"
    assert puts[0].headers["authorization"] == "Bearer test-token"
    sent = json.loads(puts[0].content)
    assert sent["segment"] == body["new_segment"] == crm.segments[CUSTOMER]
    assert sent["model_version"] == body["model_version"]


def test_the_write_carries_the_request_id(service, crm) -> None:
    """A retried write must apply once: the request id the flow logs is the one the CRM gets."""
    response = _update(service, request_id="retry-me-42")
    assert response.status_code == 200, response.text
    assert response.headers.get("x-request-id") == "retry-me-42"
    put = next(r for r in crm.requests if r.method == "PUT")
    assert json.loads(put.content)["request_id"] == "retry-me-42"


def test_features_are_used_in_the_models_order(service, crm) -> None:
    """The fake CRM sends the features by name in reverse order; the prediction must not move."""
    from app.model import FEATURE_NAMES  # noqa: F401 (the order the model was trained in)

    expected = service.post("/predict", json={"features": ROW}).json()["churn_probability"]
    assert _update(service).json()["probability"] == pytest.approx(expected, abs=1e-4)


def test_the_segment_follows_the_tiers() -> None:
    from app.crm import load_rules, segment_for

    rules = load_rules(SEGMENTS)
    assert segment_for(0.95, rules) == "high_risk"
    assert segment_for(0.70, rules) == "high_risk"
    assert segment_for(0.5, rules) == "medium_risk"
    assert segment_for(0.05, rules) == "low_risk"


def test_each_step_is_logged_with_the_request_id(service, caplog) -> None:
    with caplog.at_level(logging.INFO):
        assert _update(service, request_id="log-me-7").status_code == 200
    lines = [r.getMessage() for r in caplog.records if "log-me-7" in r.getMessage()]
    for step in range(1, 5):
        assert any(f"step {step}/4" in line for line in lines), f"no `step {step}/4` line"


@pytest.mark.parametrize(("fault", "status"), [("down", 503), ("slow", 504), ("not_json", 502),
                                                ("error", 502), ("unknown", 404)])  # fmt: skip
def test_a_failing_crm_gets_the_right_status(service, crm, fault: str, status: int) -> None:
    crm.fault = fault
    response = _update(service)
    assert response.status_code == status, response.text
    assert response.json().get("detail"), "the error says nothing about the CRM"
    assert not [r for r in crm.requests if r.method == "PUT"], "a segment was written anyway"


def test_a_hostile_id_is_refused_before_any_call(service, crm) -> None:
    response = _update(service, customer="../admin")
    assert response.status_code == 400, response.text
    assert not crm.requests, "the CRM was called with a hostile id"


def test_predict_still_answers_while_the_crm_is_down(service, crm) -> None:
    crm.fault = "down"
    assert service.post("/predict", json={"features": ROW}).status_code == 200


def test_segments_file_setting_is_the_one_the_rules_name() -> None:
    text = (ROOT / "config" / "segments.yml").read_text(encoding="utf-8")
    source = (ROOT / "app" / "config.py").read_text(encoding="utf-8")
    assert "SEGMENT_RULES_FILE" in text and "SEGMENT_RULES_FILE" in source
