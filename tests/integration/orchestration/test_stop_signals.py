"""Every way a terminal stops `lab up` leaves no process behind: Ctrl-C (a second one is
ignored), a closed terminal (SIGHUP), and Ctrl-C on `lab up | tee` (the reader of stdout gone).

A light Procfile: the real CRM and a stand-in with two levels of grandchildren.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from lab.orchestration.procfile import quote
from tests.support import free_ports, lab_env, wait_until
from tests.unit.orchestration.conftest import TREE_CHILD, pids_in

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals; Windows: unit tests"),
]


@pytest.fixture
def started():
    """Whatever a failed test left running is killed (lab up, and the PIDs it recorded)."""
    procs: list[tuple[subprocess.Popen, Path]] = []
    yield procs
    for proc, record in procs:
        pids = {proc.pid}
        if record.is_file():
            data = json.loads(record.read_text())
            pids |= {c["pid"] for c in data["children"]}
        for pid in _alive(pids):
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).kill()
        for pid in pids_in(record.parents[2] / "web.pids"):
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).kill()


def _start(tmp_path: Path, stdout, started: list) -> tuple[subprocess.Popen, Path]:
    pidfile = tmp_path / "web.pids"
    procfile = tmp_path / "Procfile"
    web = f"python {quote(str(TREE_CHILD))} {quote(str(pidfile))} --depth 2"
    procfile.write_text(f"crm: python -m lab crm\nweb: {web}\n", encoding="utf-8")
    api, crm, mlflow, prom, graf = free_ports(5)
    env = lab_env(
        tmp_path / ".lab",
        API_PORT=api,
        CRM_PORT=crm,
        MLFLOW_PORT=mlflow,
        PROMETHEUS_PORT=prom,
        GRAFANA_PORT=graf,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab", "up", "--no-train", "--procfile", str(procfile)],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group, as a terminal gives it
    )
    started.append((proc, tmp_path / ".lab" / "run" / "lab.json"))
    return started[-1]


def _up_pids(proc: subprocess.Popen, record: Path, pidfile: Path) -> set[int]:
    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"lab up exited with {proc.returncode}")
        if not record.is_file() or len(pids_in(pidfile)) < 3:
            return False
        data = json.loads(record.read_text())
        return data["processes"]["crm"]["state"] == "healthy"

    wait_until(ready, 120, "lab up with crm healthy and web's tree")
    data = json.loads(record.read_text())
    pids = {c["pid"] for c in data["children"]} | set(pids_in(pidfile))
    pids |= {v["pid"] for v in data["processes"].values() if v["pid"]}
    return pids


def _alive(pids: set[int]) -> list[int]:
    left = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                left.append(pid)
        except psutil.Error:
            pass
    return left


def _stopped_cleanly(proc: subprocess.Popen, pids: set[int], record: Path) -> None:
    assert proc.wait(60) == 0
    assert _alive(pids) == [], "left running"
    assert not record.exists()


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGINT])  # SIGTERM: test_lab_up
def test_a_stop_signal_leaves_no_process_behind(tmp_path: Path, sig: signal.Signals, started):
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        proc, record = _start(tmp_path, out, started)
        pids = _up_pids(proc, record, tmp_path / "web.pids")
        assert len(pids) >= 4  # crm, web and its two levels below
        os.kill(proc.pid, sig)
        if sig == signal.SIGINT:
            time.sleep(0.3)
            os.kill(proc.pid, signal.SIGINT)  # an impatient second Ctrl-C: ignored
        _stopped_cleanly(proc, pids, record)
    assert "no process left behind" in log.read_text()


def test_ctrl_c_on_lab_up_piped_to_a_reader_that_is_gone(tmp_path: Path, started):
    """`lab up | tee lab.txt` and Ctrl-C: tee dies first, every later write fails (EPIPE)."""
    proc, record = _start(tmp_path, subprocess.PIPE, started)
    assert proc.stdout is not None
    pids = _up_pids(proc, record, tmp_path / "web.pids")
    proc.stdout.close()  # the reader is gone
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
    _stopped_cleanly(proc, pids, record)
