"""`lab stop|start|restart NAME` from another terminal: ask the running `lab up`, then wait.

stop    returns once `lab up` stopped the process (its whole tree) and its port is closed.
start   returns once the process answers its health URL (up to 60 s); a process that exits
        instead, or a tool still missing, is a failure with the tail of its log.
restart stop, then start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from lab.net import bind_error
from lab.orchestration import control, runfile
from lab.orchestration.output import log_path
from lab.orchestration.policy import Phase
from lab.orchestration.services import Service
from lab.orchestration.supervisor import tail

HANDLED_WITHIN = 60.0  # `lab up` stops a tree within ~10 s; a start is handled at once
HEALTHY_WITHIN = 60.0
PORT_CLOSED_WITHIN = 10.0
POLL = 0.1


class NoLab(Exception):
    """No `lab up` runs on this LAB_HOME."""


class UnknownProcess(Exception):
    def __init__(self, name: str, names: list[str]) -> None:
        super().__init__(f"no process named {name!r}; the lab runs: {', '.join(names)}")
        self.names = names


@dataclass
class Result:
    ok: bool
    message: str
    log_tail: str = ""


def running_record(run_dir: Path) -> runfile.RunRecord:
    rec = runfile.read(run_dir)
    if rec is None or not rec.running():
        raise NoLab("no lab is running here: start it with `lab up` (or `bin/lab up`)")
    return rec


def check_name(rec: runfile.RunRecord, name: str) -> None:
    if name not in rec.processes:
        raise UnknownProcess(name, list(rec.processes))


def ask(run_dir: Path, name: str, action: str) -> runfile.ProcView:
    """Send the request and wait until `lab up` handled it; the process's entry after that."""
    rec = running_record(run_dir)
    check_name(rec, name)
    req = control.send(run_dir, name, action)
    deadline = time.monotonic() + HANDLED_WITHIN
    while time.monotonic() < deadline:
        now = runfile.read(run_dir)
        if now is None or not now.running():
            control.done(run_dir, req)
            raise NoLab("`lab up` stopped before it handled the request")
        view = now.processes.get(name)
        if view is not None and view.request == req.id:
            return view
        time.sleep(POLL)
    control.done(run_dir, req)
    raise TimeoutError(f"`lab up` (pid {rec.pid}) did not answer within {HANDLED_WITHIN:.0f} s")


def stop(run_dir: Path, name: str, service: Service | None) -> Result:
    view = ask(run_dir, name, "stop")
    if view.state != Phase.STOPPED.value:
        return Result(False, f"{name} is {view.state}, not stopped")
    if service is not None and not _port_closed(service):
        return Result(False, f"{name} stopped but port {service.port} is still in use")
    return Result(True, f"{name} stopped" + (f"; port {service.port} closed" if service else ""))


def start(run_dir: Path, name: str, action: str = "start") -> Result:
    view = ask(run_dir, name, action)
    deadline = time.monotonic() + HEALTHY_WITHIN
    while True:
        if view.state == Phase.HEALTHY.value:
            pid = f" (pid {view.pid})" if view.pid else ""
            return Result(True, f"{name} is healthy{pid}")
        if view.state == Phase.MISSING.value:
            return Result(False, f"{name} cannot start: its tool is missing ({view.detail})")
        if view.state in (Phase.CRASHED.value, Phase.RESTARTING.value, Phase.STOPPED.value):
            return _failed(run_dir, name, f"{name} exited while starting ({view.state})")
        if time.monotonic() > deadline:
            return _failed(run_dir, name, f"{name} not healthy after {HEALTHY_WITHIN:.0f} s")
        time.sleep(POLL * 2)
        rec = runfile.read(run_dir)
        if rec is None or name not in rec.processes:
            return Result(False, "`lab up` stopped meanwhile")
        view = rec.processes[name]


def _failed(run_dir: Path, name: str, message: str) -> Result:
    return Result(False, message, tail(log_path(run_dir, name)))


def _port_closed(service: Service) -> bool:
    deadline = time.monotonic() + PORT_CLOSED_WITHIN
    while time.monotonic() < deadline:
        if bind_error(service.host, service.port) is None:
            return True
        time.sleep(POLL)
    return False
