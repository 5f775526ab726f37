"""One `lab up`, from start to stop: launch, wait until healthy, watch, stop the whole tree."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import httpx
import psutil

from lab.orchestration import runfile
from lab.orchestration.health import Health, State, client, probe
from lab.orchestration.services import Service
from lab.orchestration.supervisor import Supervisor

Rows = list[tuple[Service, Health]]
WAIT_TICK = 0.25  # seconds between probes while starting
WATCH_TICK = 1.0  # seconds between looks at the process tree once up


class Reporter(Protocol):
    def healthy(self, service: Service, health: Health, seconds: float) -> None: ...
    def all_healthy(self, rows: Rows, seconds: float) -> None: ...
    def timed_out(self, rows: Rows, seconds: float) -> None: ...
    def exited(self, codes: dict[str, int]) -> None: ...
    def stopping(self) -> None: ...
    def stopped(self, survivors: list[psutil.Process]) -> None: ...


@dataclass
class Outcome:
    healthy_after: float | None = None  # seconds from `started` to all healthy
    exited: dict[str, int] = field(default_factory=dict)  # processes that stopped on their own
    survivors: list[psutil.Process] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.exited or self.survivors else 0


def rows(http: httpx.Client, services: Sequence[Service], missing: dict[str, str]) -> Rows:
    """Each service's health now; a missing tool is `missing` with its hint."""
    return [
        (s, Health(State.MISSING, missing[s.name]) if s.name in missing else probe(http, s))
        for s in services
    ]


@dataclass
class LabRun:
    """One `lab up`: start honcho, report health until `stop` is set or a process exits, then
    stop every process. `started` is the monotonic time the start is measured from."""

    sup: Supervisor
    services: Sequence[Service]
    missing: dict[str, str]
    reporter: Reporter
    started: float
    timeout: float
    outcome: Outcome = field(default_factory=Outcome)

    def run(self, stop: threading.Event) -> Outcome:
        record = runfile.for_this_process({s.name: s.link for s in self.services})
        self.sup.start()
        runfile.write(self.sup.run_dir, record)
        try:
            self._watch(stop, record)
        finally:
            self.reporter.stopping()
            self.outcome.survivors = self.sup.stop()
            runfile.remove(self.sup.run_dir, owner_pid=record.pid)
            self.reporter.stopped(self.outcome.survivors)
        return self.outcome

    def _watch(self, stop: threading.Event, record: runfile.RunRecord) -> None:
        sup, outcome, reporter = self.sup, self.outcome, self.reporter
        pending = [s for s in self.services if s.name not in self.missing]
        timed_out = False
        with client() as http:
            while not stop.is_set():
                if sup.poll() is not None:
                    time.sleep(0.2)  # let the output reader see honcho's last lines
                    outcome.exited = dict(sup.exited) or {"honcho": sup.poll() or 0}
                    reporter.exited(outcome.exited)
                    return
                _remember(sup, record)
                for service in list(pending):
                    health = probe(http, service)
                    if health.ok:
                        pending.remove(service)
                        reporter.healthy(service, health, time.monotonic() - self.started)
                elapsed = time.monotonic() - self.started
                if not pending and outcome.healthy_after is None:
                    outcome.healthy_after = elapsed
                    reporter.all_healthy(rows(http, self.services, self.missing), elapsed)
                elif pending and not timed_out and elapsed > self.timeout:
                    timed_out = True
                    reporter.timed_out(rows(http, self.services, self.missing), elapsed)
                stop.wait(WAIT_TICK if pending else WATCH_TICK)


def _remember(sup: Supervisor, record: runfile.RunRecord) -> None:
    """Refresh the process tree; rewrite the run record when it changed."""
    children = sup.refresh()
    if {c.pid for c in children} != {c.pid for c in record.children}:
        record.children = children
        runfile.write(sup.run_dir, record)
