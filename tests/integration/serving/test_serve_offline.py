"""`lab serve` with MLflow down: no model at first, a model file later, a corrupt file refused,
and a taken port."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest

from lab import data
from lab.settings import load_settings
from tests.integration.serving.conftest import ADMIN, serving
from tests.model_files import write_model

pytestmark = pytest.mark.integration
ROW = data.generate_features(1, seed=22)[0].tolist()


def _settings(env: dict[str, str]):
    return load_settings(LAB_HOME=env["LAB_HOME"], MODEL_NAME="churn-model")


def test_starts_without_a_model_then_serves_the_file_once_it_exists(offline_env, tmp_path):
    with serving(offline_env, tmp_path / "api.log") as (proc, url):
        health = httpx.get(f"{url}/health").json()
        assert health["model_loaded"] is False
        assert "lab train" in health["reason"]
        assert httpx.get(f"{url}/ready").status_code == 503
        assert httpx.post(f"{url}/predict", json={"features": ROW}).status_code == 503

        write_model(_settings(offline_env), "v-file")
        reloaded = httpx.post(f"{url}/admin/reload", headers=ADMIN, timeout=30).json()
        assert (reloaded["outcome"], reloaded["source"]) == ("reloaded", "file")
        assert httpx.get(f"{url}/ready").status_code == 200
        answer = httpx.post(f"{url}/predict", json={"features": ROW})
        assert answer.status_code == 200
        assert answer.json()["model_version"] == "v-file"
        assert proc.proc.poll() is None


def test_a_corrupt_model_file_is_refused_and_the_old_model_keeps_serving(offline_env, tmp_path):
    settings = _settings(offline_env)
    write_model(settings, "v-good")
    with serving(offline_env, tmp_path / "api.log") as (proc, url):
        before = httpx.post(f"{url}/predict", json={"features": ROW}).json()
        # the lab loads the skops sibling (the .joblib beside it is the course's): corrupt that
        settings.skops_model_path.write_bytes(b"PK\x03\x04 not the model the manifest hashed")
        refused = httpx.post(f"{url}/admin/reload", params={"force": "true"}, headers=ADMIN)
        assert refused.status_code == 502
        assert "SHA-256" in refused.json()["detail"]
        after = httpx.post(f"{url}/predict", json={"features": ROW})
        assert after.status_code == 200
        assert after.json() == before
        assert "model_reload_failures_total 1.0" in httpx.get(f"{url}/metrics").text
        assert "SHA-256" in proc.log()


def test_a_taken_port_is_a_one_line_error(offline_env) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "lab", "serve", "--port", str(port)],
            env=offline_env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1
    assert f"127.0.0.1:{port} is taken" in done.stderr
    assert "API_PORT" in done.stderr
    assert "Traceback" not in done.stderr
