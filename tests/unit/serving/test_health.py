"""GET /health and /ready with a model, without one, and with a corrupt model file."""

from __future__ import annotations

from litestar.testing import TestClient

from lab.serving.app import create_app
from lab.training.manifest import read_manifest
from tests.model_files import write_model
from tests.unit.serving.conftest import metric_value


def test_health_describes_the_loaded_file_model(client, settings) -> None:
    health = client.get("/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok"
    assert body["model_loaded"] is True
    assert body["model_version"] == "v-unit"
    assert body["source"] == "file"
    assert body["sha256"] == read_manifest(settings.manifest_path).skops_sha256
    assert body["predictor"] == "fast-linear"
    assert body["loaded_at"]
    assert "does not answer" in body["registry"]  # why the file was used
    assert client.get("/ready").status_code == 200


def test_without_any_model_health_says_why_and_ready_is_503(no_model_client) -> None:
    health = no_model_client.get("/health")
    assert health.status_code == 200
    body = health.json()
    assert (body["status"], body["model_loaded"], body["model_version"]) == (
        "no_model", False, None,
    )  # fmt: skip
    assert "does not answer" in body["reason"]
    assert "lab train" in body["reason"]
    ready = no_model_client.get("/ready")
    assert ready.status_code == 503
    assert ready.headers["content-type"].startswith("application/problem+json")
    assert "lab train" in ready.json()["detail"]


def test_corrupt_model_file_is_refused_at_start(offline) -> None:
    settings = offline()
    write_model(settings)
    settings.skops_model_path.write_bytes(b"not the file the manifest hashed")
    with TestClient(create_app(settings)) as client:
        body = client.get("/health").json()
        metrics = client.get("/metrics").text
    assert body["model_loaded"] is False
    assert "SHA-256" in body["reason"] and "sample_model.skops" in body["reason"]
    assert metric_value(metrics, "model_reload_failures_total") == 1
    assert metric_value(metrics, "model_loaded", model_version="none") == 0


def test_the_lab_serves_the_skops_file_and_never_unpickles_the_joblib_one(offline) -> None:
    """The .joblib beside it is the course's file: a pickle payload there never runs."""
    settings = offline()
    write_model(settings)
    settings.model_path.write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")  # a pickle payload
    with TestClient(create_app(settings)) as client:
        body = client.get("/health").json()
    assert body["model_loaded"] is True, body
    manifest = read_manifest(settings.manifest_path)
    assert (body["source"], body["sha256"]) == ("file", manifest.skops_sha256)


def test_a_model_file_without_manifest_is_refused(offline) -> None:
    settings = offline()
    write_model(settings)
    settings.manifest_path.unlink()
    with TestClient(create_app(settings)) as client:
        body = client.get("/health").json()
    assert body["model_loaded"] is False
    assert "no manifest" in body["reason"]
