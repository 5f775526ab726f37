"""/metrics: the contract's names and labels, the SLO bucket, Litestar's HTTP metrics, promtool."""

from __future__ import annotations

import subprocess

from lab import data
from lab.serving.metrics import latency_buckets
from tests.support import require_tool
from tests.unit.serving.conftest import metric_value

ROW = data.generate_features(1, seed=6)[0].tolist()


def test_metrics_carry_the_contract_names_and_labels(client) -> None:
    client.post("/predict", json={"features": ROW})
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        metric_value(text, "prediction_requests_total", model_version="v-unit", outcome="ok") == 1
    )
    assert (
        metric_value(text, "prediction_latency_seconds_bucket", model_version="v-unit", le="+Inf")
        == 1
    )
    assert metric_value(text, "model_loaded", model_version="v-unit", source="file") == 1
    assert "# TYPE model_reload_failures_total counter" in text
    # Litestar's plugin: path templates, and /metrics itself is not counted
    assert metric_value(text, "api_requests_total", path="/predict", status_code="200") >= 1
    assert 'path="/metrics"' not in text


def test_the_latency_slo_is_a_bucket_boundary(offline) -> None:
    assert 0.05 in latency_buckets(0.05)
    assert 0.0001 in latency_buckets(0.05) and 5.0 in latency_buckets(0.05)
    assert 0.2 in latency_buckets(0.2)


def test_metrics_pass_promtool(client) -> None:
    promtool = require_tool("promtool", "apt-get install prometheus")
    client.post("/predict", json={"features": ROW})
    client.post("/predict", json={"features": ROW[:2]})
    text = client.get("/metrics").text
    check = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
