"""`lab serve --workers 2`: prometheus_client multiprocess mode keeps /metrics whole."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from lab import data
from lab.settings import load_settings
from tests.integration.serving.conftest import serving
from tests.model_files import write_model
from tests.support import require_tool

pytestmark = pytest.mark.integration
ROW = data.generate_features(1, seed=23)[0].tolist()


def _total(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_two_workers_count_every_request_once(offline_env, tmp_path) -> None:
    write_model(load_settings(LAB_HOME=offline_env["LAB_HOME"]), "v-workers")
    with serving(offline_env, tmp_path / "api.log", "--workers", "2") as (_, url):
        for _ in range(60):  # a new connection each time, so both workers get requests
            assert httpx.post(f"{url}/predict", json={"features": ROW}).status_code == 200
        httpx.post(f"{url}/predict", json={"features": ROW[:2]})
        texts = [httpx.get(f"{url}/metrics").text for _ in range(4)]
        folder = Path(offline_env["LAB_HOME"]) / "run" / f"prometheus-api-{offline_env['API_PORT']}"
        counter_files = list(folder.glob("counter_*.db"))
    for text in texts:  # whichever worker answers, the totals are the same
        assert _total(text, "prediction_requests_total", outcome="ok") == 60
        assert _total(text, "prediction_requests_total", outcome="invalid") == 1
        assert _total(text, "model_loaded", model_version="v-workers", source="file") == 1
    assert len(counter_files) == 2  # one per worker process
    promtool = require_tool("promtool", "apt-get install prometheus")
    check = subprocess.run([promtool, "check", "metrics"], input=texts[0], text=True,
                           capture_output=True, timeout=60)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
