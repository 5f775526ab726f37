"""One `lab up` run with stand-in services: health, the run record, and requests from another
terminal (`lab stop|start|restart`) answered while the others keep running."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from lab.net import bind_error
from lab.orchestration import control, remote, runfile
from lab.orchestration.lifecycle import LabRun, probe_interval
from lab.orchestration.output import Output
from lab.orchestration.procfile import quote
from lab.orchestration.services import services
from lab.orchestration.supervisor import Supervisor
from tests.support import free_ports, wait_until

SERVER = Path(__file__).with_name("health_server.py")


class Recorder:
    """A lifecycle.Reporter that remembers what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.up = threading.Event()

    def healthy(self, name, link, detail, seconds):
        self.events.append(("healthy", name))

    def all_healthy(self, record, seconds):
        self.events.append(("all_healthy", {n: v.state for n, v in record.processes.items()}))
        self.up.set()

    def timed_out(self, record, seconds):
        self.events.append(("timed_out", {n: v.state for n, v in record.processes.items()}))
        self.up.set()

    def crashed(self, name, tail):
        self.events.append(("crashed", name))

    def stopping(self):
        self.events.append(("stopping",))

    def stopped(self, survivors):
        self.events.append(("stopped", survivors))


def _server(port: int) -> str:
    return f"{quote(sys.executable)} {quote(str(SERVER))} {port}"


@pytest.fixture
def lab_run(tmp_path: Path, settings_factory):
    """Start a LabRun in a thread: `start(processes, names, missing, timeout)`."""
    stop = threading.Event()
    threads: list[threading.Thread] = []
    result: dict = {}

    def start(processes, names, missing=None, timeout=60.0, **ports):
        settings = settings_factory(**ports)
        run_dir = tmp_path / "run"
        sup = Supervisor(
            processes,
            run_dir,
            dict(os.environ),
            Output(run_dir, list(processes), None),
            missing=missing or {},
        )
        rec = Recorder()
        run = LabRun(sup, services(settings, names), rec, time.monotonic(), timeout)
        thread = threading.Thread(target=lambda: result.update(outcome=run.run(stop)))
        thread.start()
        threads.append(thread)
        assert rec.up.wait(60), rec.events
        return run_dir, rec, settings

    yield start, stop, result
    stop.set()
    for t in threads:
        t.join(60)


def test_all_healthy_then_stop_leaves_nothing_and_removes_the_record(lab_run):
    start, stop, result = lab_run
    api, crm = free_ports(2)
    sleeper = f"{quote(sys.executable)} -c {quote('import time; time.sleep(600)')}"
    run_dir, rec, _ = start(
        {"api": _server(api), "crm": _server(crm), "grafana": sleeper},
        ("api", "crm", "grafana"),
        {"grafana": "get it"},
        API_PORT=api,
        CRM_PORT=crm,
    )
    assert sorted(e[1] for e in rec.events if e[0] == "healthy") == ["api", "crm"]
    (table,) = [e[1] for e in rec.events if e[0] == "all_healthy"]
    assert table == {"api": "healthy", "crm": "healthy", "grafana": "missing tool"}
    record = runfile.read(run_dir)
    assert record is not None and record.pid == os.getpid()
    assert record.processes["api"].live() is not None
    assert record.processes["grafana"].pid is None  # no process held for a missing tool
    stop.set()
    wait_until(lambda: "outcome" in result, 60, "the run to end")
    assert result["outcome"].exit_code == 0
    assert rec.events[-1] == ("stopped", [])
    assert runfile.read(run_dir) is None


def test_stop_and_start_one_process_from_another_terminal(lab_run):
    start, _, _ = lab_run
    api, crm = free_ports(2)
    run_dir, _, settings = start(
        {"api": _server(api), "crm": _server(crm)}, ("api", "crm"), API_PORT=api, CRM_PORT=crm
    )
    crm_service = services(settings, ("crm",))[0]
    api_pid = runfile.read(run_dir).processes["api"].pid
    stopped = remote.stop(run_dir, "crm", crm_service)
    assert stopped.ok, stopped.message
    assert bind_error("127.0.0.1", crm) is None  # the port is closed
    time.sleep(1.5)  # several ticks: a stopped process is not restarted
    record = runfile.read(run_dir)
    assert record.processes["crm"].state == "stopped"
    assert record.processes["api"].state == "healthy" and record.processes["api"].pid == api_pid
    started = remote.start(run_dir, "crm")
    assert started.ok, started.message
    assert runfile.read(run_dir).processes["crm"].state == "healthy"
    old = runfile.read(run_dir).processes["api"].pid
    again = remote.start(run_dir, "api", "restart")
    assert again.ok and runfile.read(run_dir).processes["api"].pid != old
    with pytest.raises(remote.UnknownProcess) as unknown:
        remote.ask(run_dir, "nginx", "stop")
    assert unknown.value.names == ["api", "crm"]
    assert control.pending(run_dir) == []


def test_a_start_that_fails_returns_the_tail_of_its_log(lab_run, tmp_path):
    start, _, _ = lab_run
    (api,) = free_ports(1)
    flag = tmp_path / "config-ok"
    flag.touch()
    script = (
        "import pathlib, runpy, sys\n"
        f"if not pathlib.Path({str(flag)!r}).exists():\n"
        "    print('config broken: no config-ok file'); sys.exit(2)\n"
        f"sys.argv = ['s', '{api}']\n"
        f"runpy.run_path({str(SERVER)!r}, run_name='__main__')\n"
    )
    command = f"{quote(sys.executable)} -c {quote(script)}"
    run_dir, _, _ = start({"api": command}, ("api",), API_PORT=api)
    assert remote.stop(run_dir, "api", None).ok
    flag.unlink()
    failed = remote.start(run_dir, "api")
    assert not failed.ok
    assert "exited while starting" in failed.message
    assert "config broken: no config-ok file" in failed.log_tail


def test_no_lab_running_is_a_clear_error(tmp_path: Path):
    with pytest.raises(remote.NoLab, match="lab up"):
        remote.ask(tmp_path, "crm", "stop")


def test_a_process_that_stays_unhealthy_is_probed_less_and_less_often():
    assert [probe_interval(t) for t in (None, 0, 14, 15, 59, 60, 3600)] == [
        0.25, 0.25, 0.25, 1.0, 1.0, 5.0, 5.0,
    ]  # fmt: skip
