"""`lab up` supervises each process for real: stop and start one from another terminal, a
killed API comes back by itself, a line that always exits ends `crashed` while the rest run.

One `lab up` (mlflow, crm, api and a broken line) serves the module; each test sets up and
checks its own state, so they pass in any order.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lab.net import bind_error
from tests.support import REPO, LabProcess, free_ports, lab_env, wait_until

pytestmark = pytest.mark.integration
KEYS = ("API_PORT", "CRM_PORT", "MLFLOW_PORT", "PROMETHEUS_PORT", "GRAFANA_PORT")
PROCFILE = """\
mlflow: python -m lab mlflow
crm: python -m lab crm
api: python -m lab serve
broken: python -m lab no-such-verb
"""
FEATURES = {"features": [24, 89.5, 5, 3, 30, 1, 2, 1, 12.5, 2]}


class Lab:
    def __init__(self, up: LabProcess, env: dict[str, str], work: Path) -> None:
        self.up, self.env, self.work = up, env, work
        self.url = {k: f"http://127.0.0.1:{env[k]}" for k in KEYS}

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "lab", *args],
            env={**self.env, "COLUMNS": "200"},
            cwd=self.work,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def status(self) -> dict:
        result = self.run("status", "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["processes"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("supervised")
    (work / "Procfile").write_text(PROCFILE, encoding="utf-8")
    env = lab_env(work / ".lab", **dict(zip(KEYS, free_ports(len(KEYS)), strict=True)))
    up = LabProcess(["up", "--timeout", "600"], env, work / "up.log", cwd=work)
    try:

        def up_yet() -> bool:
            if up.proc.poll() is not None:
                raise RuntimeError(f"lab up exited:\n{up.log()[-4000:]}")
            return "mlops-lab is up" in up.log()

        wait_until(up_yet, 240, "`lab up` to report mlflow, crm and api healthy", interval=0.5)
        yield Lab(up, env, work)
    finally:
        up.stop()


def test_stop_crm_gives_503_predict_still_works_and_start_brings_it_back_with_its_data(lab):
    update = lab.url["API_PORT"] + "/crm_segment_update"
    before = httpx.post(update, params={"customer_id": "CUST_TEST_007"}, timeout=30)
    assert before.status_code == 200, before.text
    record = httpx.get(lab.url["CRM_PORT"] + "/customers/CUST_TEST_007", timeout=10).json()

    stopped = lab.run("stop", "crm")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    port = int(lab.env["CRM_PORT"])
    wait_until(lambda: bind_error("127.0.0.1", port) is None, 5, "the CRM port to close")
    down = httpx.post(update, params={"customer_id": "CUST_TEST_007"}, timeout=60)
    assert down.status_code == 503, down.text
    assert "CRM" in down.json()["detail"]
    assert (
        httpx.post(lab.url["API_PORT"] + "/predict", json=FEATURES, timeout=10).status_code == 200
    )
    assert lab.status()["crm"]["state"] == "stopped"  # not restarted behind the learner's back

    started = lab.run("start", "crm")
    assert started.returncode == 0, started.stdout + started.stderr
    assert lab.status()["crm"]["state"] == "healthy"
    kept = httpx.get(lab.url["CRM_PORT"] + "/customers/CUST_TEST_007", timeout=10).json()
    assert kept["segment"] == record["segment"]
    again = httpx.post(update, params={"customer_id": "CUST_TEST_007"}, timeout=30)
    assert again.status_code == 200, again.text


def test_a_killed_api_comes_back_by_itself_with_one_restart(lab):
    before = lab.status()["api"]
    assert before["state"] == "healthy" and before["pid"]
    killed = time.monotonic()
    os.kill(before["pid"], signal.SIGKILL if sys.platform != "win32" else signal.SIGTERM)

    def api() -> dict:
        return json.loads((lab.work / ".lab" / "run" / "lab.json").read_text())["processes"]["api"]

    # lab up's part: started again after the 1 s backoff
    wait_until(lambda: api()["pid"] not in (None, before["pid"]), 10, "a new API process")
    # the API's part: its start-up (imports, the model from the registry) on this machine
    wait_until(lambda: api()["state"] == "healthy", 60, "the new API to be healthy")
    print(f"\nkill -9 of the API -> healthy again: {time.monotonic() - killed:.1f} s")
    assert httpx.get(lab.url["API_PORT"] + "/health", timeout=5).status_code == 200
    assert lab.status()["api"]["restarts"] == before["restarts"] + 1


def test_a_line_that_always_exits_ends_crashed_while_the_others_stay_healthy(lab):
    wait_until(lambda: lab.status()["broken"]["state"] == "crashed", 120, "broken to crash")
    status = lab.status()
    assert status["broken"]["restarts"] == 4 and status["broken"]["pid"] is None
    assert "lab start broken" in status["broken"]["detail"]
    for name in ("mlflow", "crm", "api"):
        assert status[name]["state"] == "healthy", status
    log = lab.up.log()
    assert "crashed: broken exited 5 times" in " ".join(log.split())
    assert "No such command" in log  # the tail of its log, shown where `lab up` runs
    logs = lab.run("logs", "broken", "-n", "3")
    assert logs.returncode == 0 and "No such command" in logs.stdout


def test_unknown_names_exit_2_with_the_names(lab):
    result = lab.run("stop", "nginx")
    assert result.returncode == 2
    assert "mlflow, crm, api, broken" in result.stderr


def test_with_no_lab_running_one_line_says_how_to_start_it(tmp_path: Path):
    env = lab_env(tmp_path / ".lab")
    result = subprocess.run(
        [sys.executable, "-m", "lab", "stop", "crm"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "lab up" in result.stderr and "Traceback" not in result.stderr
