"""The preflight names `lab down` when an earlier lab's processes still hold the ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from lab.orchestration import preflight, runfile
from lab.orchestration.proctree import record
from lab.orchestration.services import services


@pytest.fixture
def listening():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        yield busy.getsockname()[1]


def _stale_record(run_dir: Path, children: list[int]) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    rec = runfile.RunRecord(gone.pid, 0.0, 0.0, str(run_dir))  # its `lab up` is gone
    rec.children = [record(psutil.Process(pid)) for pid in children]
    runfile.write(run_dir, rec)


def test_a_port_held_by_an_earlier_labs_process_names_lab_down(
    tmp_path, settings_factory, listening
):
    if preflight.ports.listener_pid(listening) is None:
        pytest.skip("this OS does not tell who listens on a port")
    wanted = services(settings_factory(CRM_PORT=listening), ("crm",))
    _stale_record(tmp_path, [os.getpid()])  # the listener is one of the recorded processes
    errors, _ = preflight.port_problems(wanted, {}, tmp_path)
    assert "already in use" in errors[0]
    assert "`lab down` stops them" in errors[-1]


def test_a_port_held_by_something_else_does_not_blame_a_lab(tmp_path, settings_factory, listening):
    wanted = services(settings_factory(CRM_PORT=listening), ("crm",))
    _stale_record(tmp_path, [])
    errors, _ = preflight.port_problems(wanted, {}, tmp_path)
    assert len(errors) == 1 and "lab down" not in errors[0]
