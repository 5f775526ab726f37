"""One `lab up` run with stand-in services: healthy reports, the table, exits, the run record."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from lab.orchestration import runfile
from lab.orchestration.health import State
from lab.orchestration.lifecycle import LabRun
from lab.orchestration.procfile import quote
from lab.orchestration.services import services
from lab.orchestration.supervisor import Supervisor
from tests.support import free_port

SERVER = Path(__file__).with_name("health_server.py")


class Recorder:
    """A lifecycle.Reporter that remembers what it was told and can stop the run."""

    def __init__(self, stop: threading.Event, run_dir: Path) -> None:
        self.stop, self.run_dir = stop, run_dir
        self.events: list[tuple] = []
        self.record_while_up: runfile.RunRecord | None = None

    def healthy(self, service, health, seconds):
        self.events.append(("healthy", service.name))

    def all_healthy(self, rows, seconds):
        self.events.append(("all_healthy", {s.name: h.state for s, h in rows}))
        self.record_while_up = runfile.read(self.run_dir)
        self.stop.set()

    def timed_out(self, rows, seconds):
        self.events.append(("timed_out", {s.name: h.state for s, h in rows}))
        self.stop.set()

    def exited(self, codes):
        self.events.append(("exited", codes))

    def stopping(self):
        self.events.append(("stopping",))

    def stopped(self, survivors):
        self.events.append(("stopped", survivors))


def _run(tmp_path: Path, settings, procfile: str, names, missing=None, timeout=60.0):
    stop = threading.Event()
    run_dir = tmp_path / "run"
    reporter = Recorder(stop, run_dir)
    sup = Supervisor(procfile, run_dir, dict(os.environ))
    wanted = services(settings, names)
    outcome = LabRun(sup, wanted, missing or {}, reporter, time.monotonic(), timeout).run(stop)
    return outcome, reporter


def _server(name: str, port: int) -> str:
    return f"{name}: {quote(sys.executable)} {quote(str(SERVER))} {port}\n"


def test_all_healthy_then_stop(tmp_path, settings_factory):
    api, crm = free_port(), free_port()
    settings = settings_factory(API_PORT=api, CRM_PORT=crm)
    procfile = _server("api", api) + _server("crm", crm) + "grafana: " + quote(sys.executable)
    procfile += " -c " + quote("import time; time.sleep(600)") + "\n"
    outcome, rec = _run(
        tmp_path, settings, procfile, ("api", "crm", "grafana"), {"grafana": "get it"}
    )
    names = [e[1] for e in rec.events if e[0] == "healthy"]
    assert sorted(names) == ["api", "crm"]
    (table,) = [e[1] for e in rec.events if e[0] == "all_healthy"]
    assert table == {"api": State.HEALTHY, "crm": State.HEALTHY, "grafana": State.MISSING}
    assert rec.record_while_up is not None and rec.record_while_up.pid == os.getpid()
    assert len(rec.record_while_up.children) >= 3  # honcho and the processes below it
    assert outcome.healthy_after is not None and outcome.exit_code == 0
    assert rec.events[-1] == ("stopped", [])
    assert runfile.read(tmp_path / "run") is None  # removed on the way out


def test_a_process_that_exits_stops_the_lab_with_its_name(tmp_path, settings_factory):
    api = free_port()
    settings = settings_factory(API_PORT=api)
    procfile = _server("api", api) + f"crm: {quote(sys.executable)} -c pass\n"
    outcome, rec = _run(tmp_path, settings, procfile, ("api", "crm"))
    assert outcome.exited.get("crm") == 0
    assert ("exited", outcome.exited) in rec.events
    assert outcome.exit_code == 1
    assert outcome.survivors == []


def test_a_service_that_never_answers_times_out_with_the_table(tmp_path, settings_factory):
    api, crm = free_port(), free_port()
    settings = settings_factory(API_PORT=api, CRM_PORT=crm)
    sleeper = quote("import time; time.sleep(600)")
    procfile = _server("api", api) + f"crm: {quote(sys.executable)} -c {sleeper}\n"
    outcome, rec = _run(tmp_path, settings, procfile, ("api", "crm"), timeout=3.0)
    (table,) = [e[1] for e in rec.events if e[0] == "timed_out"]
    assert table["crm"] is State.DOWN
    assert outcome.healthy_after is None
    assert outcome.survivors == []
