"""`lab check` against a real, deliberately broken service (500s, no /metrics): those criteria
fail with what was observed and their hints; nothing is skipped, nothing passes by accident."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.support import REPO, free_port, lab_env, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def broken_url(tmp_path_factory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("broken") / "broken.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.acceptance.broken_service", str(port)],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{url}/health", timeout=2).status_code == 500, 20, url)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_every_service_criterion_fails_against_500s_and_no_metrics(broken_url, tmp_path):
    env = lab_env(tmp_path, COLUMNS=300)  # a wide table: hints on one line each
    done = subprocess.run(
        [sys.executable, "-m", "lab", "check", "--no-tests", "-m", "M2", "-m", "M3", "-m", "M4",
         "-m", "M5", "--json", "-", "--badges", str(tmp_path / "b"),
         "--html", str(tmp_path / "r.html"),
         *[f"--{name}-url={broken_url}" for name in ("api", "crm", "mlflow", "prometheus",
                                                      "grafana")]],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    by_id = {c["id"]: c for m in result["modules"] for c in m["criteria"]}
    service_criteria = {
        "M2.health": "/health: GET .* answered HTTP 500",
        "M2.predict": "answered HTTP 500",
        "M2.reject": "answered HTTP 500 to the bad body",
        "M3.registry": "MLflow alias lookup: GET .* answered HTTP 500",
        "M4.segment_update": "answered HTTP 500",
        "M4.crm_record": "segment update failed",
        "M5.metrics": "/metrics answered HTTP 404",
        "M5.prometheus": "Prometheus query: GET .* answered HTTP 500",
        "M5.grafana": "Grafana /api/health: GET .* answered HTTP 500",
    }
    for cid, observed in service_criteria.items():
        c = by_id[cid]
        assert c["status"] == "fail", (cid, c["observed"])
        assert re.search(observed, c["observed"]), (cid, c["observed"])
        assert c["points"] == 0 and c["hint"]
    # the table (on stderr, since the JSON went to stdout) names each one with its hint
    table = " ".join(done.stderr.split())
    for cid in service_criteria:
        assert cid in table
        assert " ".join(by_id[cid]["hint"].split()[:4]) in table, cid
    # only M3.model_file (no model trained in this LAB_HOME) is a file check here: it fails too
    assert result["points"] == 0 and result["counts"]["skip"] == 0
