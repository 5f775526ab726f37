"""Drift gauges through the API: ~0 for traffic like the training data, high for shifted
traffic, nothing below DRIFT_MIN_ROWS, and no series left behind by a model that stopped serving."""

from __future__ import annotations

import numpy as np
import pytest
from litestar.testing import TestClient

from lab import data, drift
from lab.serving.app import create_app
from lab.serving.drift_window import DriftWindow, checked_reference
from tests.model_files import write_model
from tests.unit.serving.conftest import ADMIN, metric_value


@pytest.fixture
def drift_client(offline):
    settings = offline(DRIFT_WINDOW_ROWS=500, DRIFT_MIN_ROWS=100)
    write_model(settings, "v-drift", with_reference=True)
    with TestClient(create_app(settings)) as client:
        yield client, settings


def send(client: TestClient, X: np.ndarray) -> None:
    for start in range(0, len(X), 100):
        answer = client.post("/predict", json={"instances": X[start : start + 100].tolist()})
        assert answer.status_code == 200


def psis(text: str, version: str) -> dict[str, float]:
    return {
        f: metric_value(text, "feature_drift_psi", model_version=version, feature=f)
        for f in data.FEATURE_NAMES
    }


def test_reference_like_traffic_shows_no_drift(drift_client) -> None:
    client, _ = drift_client
    send(client, data.generate_features(500, seed=11))  # same distribution, other rows
    text = client.get("/metrics").text
    values = psis(text, "v-drift")
    assert max(values.values()) < 0.1, values
    assert metric_value(text, "drifted_features_share", model_version="v-drift") == 0
    assert metric_value(text, "drift_window_rows", model_version="v-drift") == 500
    assert client.get("/health").json()["models"][0]["drift_measured"] is True


def test_shifted_traffic_shows_drift(drift_client) -> None:
    client, _ = drift_client
    X = data.generate_features(500, seed=12)
    send(client, X + 2 * X.std(axis=0))  # every feature moved by two standard deviations
    text = client.get("/metrics").text
    values = psis(text, "v-drift")
    assert min(values.values()) > drift.DRIFTED_PSI, values
    assert metric_value(text, "drifted_features_share", model_version="v-drift") == 1


def test_the_window_forgets_old_traffic(drift_client) -> None:
    client, _ = drift_client
    X = data.generate_features(500, seed=13)
    send(client, X + 2 * X.std(axis=0))
    assert metric_value(client.get("/metrics").text, "drifted_features_share") == 1
    send(client, data.generate_features(500, seed=14))  # the window (500 rows) turns over
    assert metric_value(client.get("/metrics").text, "drifted_features_share") == 0


def test_too_few_rows_export_the_row_count_only(drift_client) -> None:
    client, _ = drift_client
    send(client, data.generate_features(50, seed=15))
    text = client.get("/metrics").text
    assert metric_value(text, "drift_window_rows", model_version="v-drift") == 50
    assert "feature_drift_psi{" not in text
    assert "drifted_features_share{" not in text


def test_a_model_that_stops_serving_leaves_no_drift_series(drift_client) -> None:
    client, settings = drift_client
    send(client, data.generate_features(200, seed=16))
    assert 'feature_drift_psi{feature="tenure_months",model_version="v-drift"}' in (
        client.get("/metrics").text
    )
    write_model(settings, "v-next", with_reference=True)
    assert client.post("/admin/reload", headers=ADMIN).json()["model_version"] == "v-next"
    text = client.get("/metrics").text
    assert 'model_version="v-drift"' not in text.split("# HELP feature_drift_psi")[1][:2000]
    assert metric_value(text, "drift_window_rows", model_version="v-drift") == 0


def test_a_model_without_a_reference_serves_without_drift(offline) -> None:
    settings = offline()
    write_model(settings, "v-old")  # a manifest from before drift references
    with TestClient(create_app(settings)) as client:
        send(client, data.generate_features(300, seed=17))
        text = client.get("/metrics").text
        health = client.get("/health").json()
    assert health["models"][0]["drift_measured"] is False
    assert "feature_drift_psi{" not in text


def test_the_window_keeps_the_last_rows() -> None:
    window = DriftWindow(4, width=1)
    for value in range(3):
        window.add(np.array([[float(value)]]))
    assert sorted(window.rows()[:, 0]) == [0, 1, 2]
    window.add(np.array([[3.0], [4.0], [5.0]]))  # wraps around
    assert sorted(window.rows()[:, 0]) == [2, 3, 4, 5]
    window.add(np.arange(10.0).reshape(-1, 1))  # more than the window
    assert sorted(window.rows()[:, 0]) == [6, 7, 8, 9]
    assert window.seen == 16


@pytest.mark.parametrize(
    ("reference", "reason"),
    [
        ([], None),
        ({"tenure_months": {"edges": [0, 1], "shares": [1.0]}}, "no statistics for feature"),
        ("text", "keyed by feature name"),
    ],
)
def test_an_unusable_reference_is_ignored_with_a_reason(reference, reason, caplog) -> None:
    with caplog.at_level("WARNING", "lab.serving.drift"):
        assert checked_reference(reference, "here") is None
    assert ("no drift reference" if reason is None else reason) in caplog.text


def test_a_reference_with_bad_bins_is_ignored(caplog) -> None:
    good = drift.reference(data.generate_features(100, seed=1), data.FEATURE_NAMES)
    assert checked_reference(good, "here") == good
    for broken in ({"edges": [1, 0], "shares": [1.0]}, {"edges": [0, 1, 2], "shares": [1.0]}):
        with caplog.at_level("WARNING", "lab.serving.drift"):
            assert checked_reference({**good, "tenure_months": broken}, "here") is None
    assert "tenure_months" in caplog.text
