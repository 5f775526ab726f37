"""`lab up`'s supervisor: each Procfile process on its own, restarted with backoff.

One process that exits (a crash, `kill -9`) is started again after 1, 2, 4 … 30 s; after 5
exits within 2 minutes it is left `crashed`, with the tail of its log. `stop`, `start` and
`restart` act on one process while the others run; `stop_all` ends every tree. The policy
(lab/orchestration/policy.py) decides, this module acts; the time comes from `clock`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from lab.orchestration import output as out
from lab.orchestration.child import GRACE, Child
from lab.orchestration.policy import Backoff, Machine, Phase
from lab.orchestration.runfile import ProcView

TAIL_LINES = 15
NO_HEALTH_URL_AFTER = 1.0  # a process without a health URL counts as healthy after this


@dataclass
class Proc:
    name: str
    command: str
    machine: Machine
    missing: str | None = None  # the hint, when its tool is not installed
    child: Child | None = None
    request: str = ""
    detail: str = ""
    started_wall: float | None = None

    def view(self) -> ProcView:
        pid = self.child.pid if self.child is not None and self.machine.running else None
        create = None
        if pid is not None:
            try:
                create = psutil.Process(pid).create_time()
            except psutil.Error:  # it exited a moment ago: the next tick reaps it
                pid = None
        return ProcView(
            state=self.machine.phase.value,
            pid=pid,
            create_time=create,
            started_at=self.started_wall if pid is not None else None,
            restarts=self.machine.restarts,
            last_exit=self.machine.last_exit,
            request=self.request,
            detail=self.detail,
        )


@dataclass
class Supervisor:
    processes: Mapping[str, str]  # name -> command line (no shell syntax)
    run_dir: Path
    env: Mapping[str, str]
    output: out.Output
    missing: Mapping[str, str] = field(default_factory=dict)  # name -> hint
    cwd: Path | None = None
    backoff: Backoff = field(default_factory=Backoff)
    clock: Callable[[], float] = time.monotonic
    on_crash: Callable[[str, str], None] | None = None  # name, log tail
    health_names: frozenset[str] = frozenset()  # processes whose health the caller probes
    grace: float = GRACE  # seconds a stopped tree gets between SIGTERM and SIGKILL
    procs: dict[str, Proc] = field(init=False)

    def __post_init__(self) -> None:
        self.procs = {
            name: Proc(name, cmd, Machine(self.backoff), self.missing.get(name))
            for name, cmd in self.processes.items()
        }

    @property
    def log_path(self) -> Path:
        return self.run_dir / "lab.log"

    def start_all(self) -> None:
        for proc in self.procs.values():
            if proc.missing is not None:
                proc.machine.missing()
                proc.detail = proc.missing
            else:
                self._spawn(proc)

    def _spawn(self, proc: Proc) -> None:
        proc.child = Child(proc.command, self.env, self.cwd, self.output.sink(proc.name))
        proc.machine.started(self.clock())
        proc.started_wall = time.time()
        proc.detail = ""
        self.output.note(proc.name, f"started (pid {proc.child.pid}): {proc.command}")

    def tick(self) -> bool:
        """Reap exits and start what is due; True when a state changed."""
        changed = False
        now = self.clock()
        for proc in self.procs.values():
            child = proc.child
            if child is not None and proc.machine.running and child.poll() is not None:
                code = child.poll()
                assert code is not None
                child.stop(grace=1.0)  # what it left behind (a worker, a grandchild)
                phase = proc.machine.exited(now, code)
                changed = True
                if phase is Phase.CRASHED:
                    self._crashed(proc, code)
                else:
                    wait = (proc.machine.retry_at or now) - now
                    self.output.note(proc.name, f"exited (code {code}); restarting in {wait:.0f} s")
            elif proc.machine.due(now):
                self._spawn(proc)
                changed = True
            elif (
                proc.machine.phase is Phase.STARTING
                and proc.name not in self.health_names
                and (proc.machine.uptime(now) or 0) >= NO_HEALTH_URL_AFTER
            ):
                proc.machine.healthy()
                changed = True
        return changed

    def _crashed(self, proc: Proc, code: int) -> None:
        tail = self.tail(proc.name)
        retry = f"python -m lab start {proc.name}"
        proc.detail = f"exited {self.backoff.max_exits} times (last code {code}): `{retry}`"
        self.output.note(proc.name, f"crashed: {proc.detail}")
        if self.on_crash is not None:
            self.on_crash(proc.name, tail)

    def tail(self, name: str, lines: int = TAIL_LINES) -> str:
        return tail(out.log_path(self.run_dir, name), lines)

    def healthy(self, name: str, detail: str = "") -> None:
        proc = self.procs[name]
        proc.machine.healthy()
        proc.detail = detail

    def stop(self, name: str) -> list[psutil.Process]:
        """Stop one process (its whole tree); it stays stopped until `start`."""
        proc = self.procs[name]
        survivors: list[psutil.Process] = []
        if proc.child is not None:
            survivors = proc.child.stop(self.grace)
            code = proc.child.poll()
            self.output.note(name, f"stopped on request (code {code})")
        if proc.machine.phase is not Phase.MISSING or proc.child is not None:
            proc.machine.stopped()
        proc.child = None
        return survivors

    def start(self, name: str, missing: str | None = None) -> None:
        """Start a process that is stopped, crashed or waiting to restart (now, no backoff)."""
        proc = self.procs[name]
        if proc.machine.running:
            return
        if missing is not None:
            proc.machine.missing()
            proc.detail = proc.missing = missing
            return
        proc.missing = None
        proc.machine.stopped()  # forget the exits: a start by hand gets a fresh backoff
        self._spawn(proc)

    def restart(self, name: str) -> None:
        self.stop(name)
        self.start(name)

    def stop_all(self) -> list[psutil.Process]:
        """Stop every process; return the survivors (normally none)."""
        survivors: list[psutil.Process] = []
        for proc in reversed(list(self.procs.values())):
            if proc.child is not None:
                survivors += proc.child.stop(self.grace)
                proc.child = None
            if proc.machine.phase is not Phase.MISSING:
                proc.machine.stopped()
        return survivors

    def views(self) -> dict[str, ProcView]:
        return {name: proc.view() for name, proc in self.procs.items()}

    def pids(self) -> list[psutil.Process]:
        """Every process of every tree now (for the run record `lab down` sweeps)."""
        found = []
        for proc in self.procs.values():
            if proc.child is not None:
                found += proc.child.processes()
        return found

    def rss(self) -> dict[str, int]:
        return {
            name: proc.child.rss() if proc.child is not None and proc.machine.running else 0
            for name, proc in self.procs.items()
        }


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last `lines` lines of a log file (decoded leniently), or "" when there is none."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read()
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])
