"""M5's public tests: the metrics, the dashboard and the alert rules (see tasks/M5.md)."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import ROW
from tests.public.conftest import ROOT, metric

pytestmark = pytest.mark.M5


def test_every_predict_call_is_counted_valid_or_not(service) -> None:
    before = metric(service, "prediction_requests_total")
    service.post("/predict", json={"features": ROW})
    service.post("/predict", json={"features": [1, 2]})
    assert metric(service, "prediction_requests_total") == before + 2


def test_metrics_carry_the_model_version(service) -> None:
    service.post("/predict", json={"features": ROW})
    assert metric(service, "prediction_requests_total", model_version="fixture-v0") >= 1
    assert metric(service, "prediction_latency_seconds_count", model_version="fixture-v0") >= 1


def test_latency_buckets_go_below_10_ms(service) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    service.post("/predict", json={"features": ROW})
    bounds = {
        float(s.labels["le"])
        for f in text_string_to_metric_families(service.get("/metrics").text)
        for s in f.samples
        if s.name == "prediction_latency_seconds_bucket"
    }
    assert any(b < 0.01 for b in bounds), f"no bucket below 10 ms in {sorted(bounds)}"


def test_segment_updates_are_counted_by_outcome(service) -> None:
    service.post("/crm_segment_update", params={"customer_id": "CUST_TEST_007"})
    assert metric(service, "crm_segment_updates_total", outcome="updated") == 1


def test_the_model_loaded_gauge_is_set(service) -> None:
    service.get("/health")
    assert metric(service, "model_loaded", model_version="fixture-v0") == 1


def test_the_alert_rules_name_an_alert_with_an_expression() -> None:
    doc = yaml.safe_load((ROOT / "config" / "prometheus" / "rules.yml").read_text("utf-8"))
    rules = [r for g in (doc or {}).get("groups") or [] for r in g.get("rules") or []]
    alerts = [r for r in rules if r.get("alert") and r.get("expr")]
    assert alerts, "config/prometheus/rules.yml has no alert rule with an expr"


def test_the_dashboard_has_a_panel_with_a_real_query() -> None:
    doc = json.loads((ROOT / "dashboards" / "learner.json").read_text(encoding="utf-8"))
    exprs = [t.get("expr", "") for p in doc.get("panels", []) for t in p.get("targets", [])]
    real = [e for e in exprs if e.strip() and e.strip() != "TODO"]
    assert real, "dashboards/learner.json has no panel with a PromQL query"
    assert doc.get("uid"), "the dashboard has no uid (Grafana finds it by uid)"
