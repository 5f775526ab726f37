"""One `lab up`, from start to stop: start, wait until healthy, supervise, answer requests, stop.

A process is probed on its health URL only while it is starting (a lab at idle sends no
requests of its own); once healthy, `lab up` watches the process itself: an exit is restarted
by the supervisor with backoff. Requests from other terminals (lab/orchestration/control.py)
are handled between ticks, and the run record is rewritten whenever a state changes.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import httpx
import psutil

from lab.orchestration import control, runfile
from lab.orchestration.health import client as http_client
from lab.orchestration.health import probe
from lab.orchestration.policy import Phase
from lab.orchestration.services import Service
from lab.orchestration.supervisor import Supervisor

TICK = 0.25  # seconds between looks at the processes, probes and requests
TREE_EVERY = 2.0  # seconds between snapshots of the process trees for the run record


class Reporter(Protocol):
    def healthy(self, name: str, link: str, detail: str, seconds: float) -> None: ...
    def all_healthy(self, record: runfile.RunRecord, seconds: float) -> None: ...
    def timed_out(self, record: runfile.RunRecord, seconds: float) -> None: ...
    def crashed(self, name: str, tail: str) -> None: ...
    def stopping(self) -> None: ...
    def stopped(self, survivors: list[psutil.Process]) -> None: ...


@dataclass
class Outcome:
    healthy_after: float | None = None  # seconds from `started` to all healthy
    crashed: list[str] = field(default_factory=list)
    survivors: list[psutil.Process] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.survivors else 0


@dataclass
class LabRun:
    """Supervise `sup` until `stop` is set, then stop every process.

    `started` is the monotonic time the start is measured from."""

    sup: Supervisor
    services: Sequence[Service]
    reporter: Reporter
    started: float
    timeout: float
    #: name -> the hint when its tool is (still) missing; asked on a start by hand
    missing_now: Callable[[str], str | None] = lambda _name: None
    outcome: Outcome = field(default_factory=Outcome)

    def __post_init__(self) -> None:
        self._by_name = {s.name: s for s in self.services}
        self.sup.health_names = frozenset(self._by_name)
        self.sup.on_crash = self._crashed
        self._reported: set[str] = set()
        self._probed: dict[str, float] = {}  # name -> when its health URL was last asked

    def run(self, stop: threading.Event) -> Outcome:
        record = runfile.for_this_process({s.name: s.link for s in self.services})
        control.clear(self.sup.run_dir)
        try:
            self.sup.start_all()
            self._publish(record, tree=True)
            self._loop(stop, record)
        finally:
            _never_raises(self.reporter.stopping)
            self.outcome.survivors = self.sup.stop_all()
            runfile.remove(self.sup.run_dir, owner_pid=record.pid)
            control.clear(self.sup.run_dir)
            self.sup.output.close()
            _never_raises(self.reporter.stopped, self.outcome.survivors)
        return self.outcome

    def _loop(self, stop: threading.Event, record: runfile.RunRecord) -> None:
        timed_out = False
        last_tree = time.monotonic()
        with http_client() as http:
            while not stop.is_set():
                changed = self.sup.tick()
                changed |= self._probe(http)
                for req in control.pending(self.sup.run_dir):
                    if req.action == "down":
                        control.done(self.sup.run_dir, req)
                        return
                    self._handle(req, http, record)
                    changed = True
                elapsed = time.monotonic() - self.started
                waiting = self._waiting()
                if not waiting and self.outcome.healthy_after is None:
                    self.outcome.healthy_after = elapsed
                    self._publish(record, tree=True)
                    self.reporter.all_healthy(record, elapsed)
                    changed = False
                elif waiting and not timed_out and elapsed > self.timeout:
                    timed_out = True
                    self._publish(record)
                    self.reporter.timed_out(record, elapsed)
                if time.monotonic() - last_tree > TREE_EVERY:
                    last_tree = time.monotonic()
                    changed |= self._tree_changed(record)
                if changed:
                    self._publish(record)
                stop.wait(TICK)

    def _waiting(self) -> list[str]:
        """Processes still on their way up (a crashed or stopped one is not waited for)."""
        return [
            p.name
            for p in self.sup.procs.values()
            if p.machine.phase in (Phase.STARTING, Phase.RESTARTING)
        ]

    def _probe(self, http: httpx.Client) -> bool:
        changed = False
        now = time.monotonic()
        for proc in self.sup.procs.values():
            service = self._by_name.get(proc.name)
            if service is None or proc.machine.phase is not Phase.STARTING:
                continue
            if now - self._probed.get(proc.name, 0.0) < probe_interval(proc.machine.uptime(now)):
                continue
            self._probed[proc.name] = now
            health = probe(http, service)
            if health.ok:
                self.sup.healthy(proc.name, health.detail)
                changed = True
                if proc.name not in self._reported or self.outcome.healthy_after is not None:
                    self._reported.add(proc.name)
                    seconds = time.monotonic() - self.started
                    self.reporter.healthy(proc.name, service.link, health.detail, seconds)
        return changed

    def _handle(self, req: control.Request, http: httpx.Client, record: runfile.RunRecord) -> None:
        if req.name in self.sup.procs:
            if req.action == "stop":
                self.sup.stop(req.name)
            elif req.action == "start":
                self.sup.start(req.name, self.missing_now(req.name))
            elif req.action == "restart":
                self.sup.stop(req.name)
                self.sup.start(req.name, self.missing_now(req.name))
            self.sup.procs[req.name].request = req.id
        control.done(self.sup.run_dir, req)
        self._probe(http)
        self._publish(record, tree=True)

    def _crashed(self, name: str, tail: str) -> None:
        self.outcome.crashed.append(name)
        self.reporter.crashed(name, tail)

    def _tree_changed(self, record: runfile.RunRecord) -> bool:
        """Refresh the PIDs `lab down` would sweep; True when they changed."""
        children = [r for r in (runfile.record(p) for p in self.sup.pids()) if r is not None]
        if {c.pid for c in children} == {c.pid for c in record.children}:
            return False
        record.children = children
        return True

    def _publish(self, record: runfile.RunRecord, tree: bool = False) -> None:
        if tree:
            self._tree_changed(record)
        record.processes = self.sup.views()
        runfile.write(self.sup.run_dir, record)


def probe_interval(uptime: float | None) -> float:
    """Seconds between health probes of a starting process: often at first, then rarely, so
    one that never becomes healthy (a learner's unfinished /health) does not flood its log."""
    if uptime is None or uptime < 15:
        return TICK
    return 1.0 if uptime < 60 else 5.0


def _never_raises(report: Callable[..., None], *args: object) -> None:
    """A report while stopping must not stop the stopping (a terminal gone, say)."""
    with contextlib.suppress(Exception, SystemExit):
        report(*args)
