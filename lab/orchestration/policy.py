"""What `lab up` does when one process exits: restart with backoff, or give up as `crashed`.

Pure logic with the time passed in (a fake clock in the tests): `Machine` is one Procfile
process's state; the supervisor (lab/orchestration/supervisor.py) acts on what it says.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum


class Phase(StrEnum):
    STARTING = "starting"  # running, not answering its health URL yet
    HEALTHY = "healthy"
    STOPPED = "stopped"  # stopped on request (`lab stop`), not restarted until started
    RESTARTING = "restarting"  # exited on its own; starts again at `retry_at`
    CRASHED = "crashed"  # exited too often; left stopped until `lab start`
    MISSING = "missing tool"  # its binary is not installed: no process is held for it


@dataclass(frozen=True)
class Backoff:
    """1 s, 2 s, 4 s … capped at 30 s; `max_exits` exits within `window` seconds: crashed."""

    first: float = 1.0
    cap: float = 30.0
    max_exits: int = 5
    window: float = 120.0

    def delay(self, exits: int) -> float:
        """Seconds to wait before the start that follows the `exits`-th recent exit (1-based)."""
        return min(self.cap, self.first * 2 ** max(0, exits - 1))


@dataclass
class Machine:
    """One process: its phase, its recent exits and how often it was restarted."""

    backoff: Backoff = field(default_factory=Backoff)
    phase: Phase = Phase.STOPPED
    restarts: int = 0  # starts after an exit on its own
    started_at: float | None = None  # when the running process started
    retry_at: float | None = None  # when RESTARTING: the time of the next start
    last_exit: int | None = None  # exit code of the last exit on its own
    exits: deque[float] = field(default_factory=deque)

    @property
    def running(self) -> bool:
        return self.phase in (Phase.STARTING, Phase.HEALTHY)

    def started(self, now: float) -> None:
        if self.phase is Phase.RESTARTING:
            self.restarts += 1
        self.phase, self.started_at, self.retry_at = Phase.STARTING, now, None

    def healthy(self) -> None:
        if self.phase is Phase.STARTING:
            self.phase = Phase.HEALTHY

    def exited(self, now: float, code: int) -> Phase:
        """The process ended without being asked to: schedule a restart or give up."""
        self.started_at, self.last_exit = None, code
        self.exits.append(now)
        while self.exits and now - self.exits[0] > self.backoff.window:
            self.exits.popleft()
        if len(self.exits) >= self.backoff.max_exits:
            self.phase, self.retry_at = Phase.CRASHED, None
        else:
            self.phase = Phase.RESTARTING
            self.retry_at = now + self.backoff.delay(len(self.exits))
        return self.phase

    def due(self, now: float) -> bool:
        """A restart is due now."""
        return self.phase is Phase.RESTARTING and self.retry_at is not None and now >= self.retry_at

    def stopped(self) -> None:
        """Stopped on request: stays stopped, and its exit history is forgotten."""
        self.phase, self.started_at, self.retry_at = Phase.STOPPED, None, None
        self.exits.clear()

    def missing(self) -> None:
        self.phase, self.started_at, self.retry_at = Phase.MISSING, None, None

    def uptime(self, now: float) -> float | None:
        return None if self.started_at is None else max(0.0, now - self.started_at)
