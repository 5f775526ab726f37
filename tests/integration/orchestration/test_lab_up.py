"""`lab up` for real: every process, its health, the CRM flow, SIGTERM, and no orphan left."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from lab.orchestration.proctree import ProcRecord, alive
from tests.support import NOT_YET, REPO, free_ports, lab_env, lab_process, require_tool, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM; Windows is covered by unit tests"),
]
PORT_KEYS = ("API_PORT", "CRM_PORT", "MLFLOW_PORT", "PROMETHEUS_PORT", "GRAFANA_PORT")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A fresh folder with no .env: what a learner has after cloning, minus the clone."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def _env(workdir: Path, **values: object) -> dict[str, str]:
    ports = dict(zip(PORT_KEYS, free_ports(len(PORT_KEYS)), strict=True))  # distinct
    env = lab_env(workdir / ".lab", **{**ports, **values})
    env["LAB_ENV_FILE"] = str(workdir / ".env")  # lab up writes it, as `lab init`
    return env


def _tree_of(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def test_lab_up_brings_every_process_up_and_sigterm_leaves_none(workdir: Path) -> None:
    require_tool("prometheus", "apt install prometheus (Debian's package)")
    env = _env(workdir, PATH=_path_without_grafana())
    base = {k: f"http://127.0.0.1:{env[k]}" for k in PORT_KEYS}
    with lab_process(["up"], env, workdir / "up.log") as up:
        wait_until(
            lambda: _up_or_fail(up), 240, "`lab up` to report every process healthy", interval=0.5
        )
        log = up.log()
        assert (workdir / ".env").is_file(), ".env was not written"
        home = workdir / ".lab"  # runtime files are the learner's own (what `stat -c %a` shows)
        for folder in (home, home / "run", home / "run" / "control"):
            mode = subprocess.run(["stat", "-c", "%a", str(folder)], capture_output=True, text=True)
            assert mode.stdout.strip() == "700", (folder, mode.stdout, mode.stderr)
        assert re.search(r"grafana\s.*missing", log), log[-3000:]
        for key, path in [
            ("API_PORT", "/health"),
            ("CRM_PORT", "/health"),
            ("MLFLOW_PORT", "/health"),
            ("PROMETHEUS_PORT", "/-/ready"),
        ]:
            assert httpx.get(base[key] + path, timeout=5).status_code == 200, key

        status = subprocess.run(
            [sys.executable, "-m", "lab", "status"],
            env={**env, "COLUMNS": "200"},
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert status.returncode == 0, status.stderr
        assert f"started by `lab up` (pid {up.proc.pid})" in status.stdout
        rows = {
            line.split("│")[1].strip(): line for line in status.stdout.splitlines() if "│" in line
        }
        for name in ("mlflow", "crm", "api", "prometheus"):
            assert " healthy " in rows[name], status.stdout
        assert " missing " in rows["grafana"] and "lab fetch grafana" in rows["grafana"]

        answer = httpx.post(
            base["API_PORT"] + "/crm_segment_update",
            params={"customer_id": "CUST_TEST_007"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["customer_id"] == "CUST_TEST_007"
        customer = httpx.get(base["CRM_PORT"] + "/customers/CUST_TEST_007", timeout=10).json()
        assert customer["segment"] == body["new_segment"]

        wait_until(  # a child may exit while its tree is read: psutil.Error is "not yet"
            lambda: _uvicorn_below_mlflow(up.proc.pid), 30, "MLflow's uvicorn child",
            watch=up, not_yet=(*NOT_YET, psutil.Error),
        )  # fmt: skip
        record = json.loads((workdir / ".lab" / "run" / "lab.json").read_text())
        assert record["pid"] == up.proc.pid
        tree = _tree_of(up.proc.pid)
        recorded = [ProcRecord(**c) for c in record["children"]]
        pids = {p.pid for p in tree} | {r.pid for r in recorded}
        assert any(p.name() == "prometheus" for p in tree), [p.cmdline() for p in tree]

        up.proc.send_signal(signal.SIGTERM)
        assert up.proc.wait(60) == 0, up.log()[-3000:]
    assert "no process left behind" in up.log()
    left = [p for p in tree if alive(p)] + [r for r in recorded if r.live() is not None]
    assert left == [], f"left running: {left} of {sorted(pids)}"
    assert not (workdir / ".lab" / "run" / "lab.json").exists()
    seconds = float(re.search(r"to all healthy: ([\d.]+) s", up.log()).group(1))
    print(f"\nlab up -> all healthy: {seconds:.1f} s (a model was trained first)")


def test_a_port_in_use_stops_lab_up_with_the_port_and_its_key(workdir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = _env(workdir, MLFLOW_PORT=port)
        result = subprocess.run(
            [sys.executable, "-m", "lab", "up", "--no-train"],
            env={**env, "COLUMNS": "300"},
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert f"port {port} (MLFLOW_PORT, for mlflow) on 127.0.0.1 is already in use" in result.stderr
    assert "set MLFLOW_PORT to a free port" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (workdir / ".lab" / "run" / "lab.json").exists()


def _up_or_fail(up) -> bool:
    if up.proc.poll() is not None:
        raise RuntimeError(f"lab up exited with {up.proc.returncode}:\n{up.log()[-4000:]}")
    return "mlops-lab is up" in up.log()


def _uvicorn_below_mlflow(pid: int) -> bool:
    for proc in _tree_of(pid):
        cmd = " ".join(proc.cmdline())
        if "uvicorn" in cmd and "mlflow" in cmd:
            return True
    return False


def _path_without_grafana() -> str:
    """PATH minus any folder that holds a grafana binary (none on these machines anyway)."""
    keep = [d for d in os.environ["PATH"].split(os.pathsep) if not shutil.which("grafana", path=d)]
    return os.pathsep.join(keep)
