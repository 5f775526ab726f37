"""Every process started below `lab up`, remembered so that stopping leaves no orphan.

A supervisor that only signals its direct children leaves grandchildren behind when a child
dies first: honcho on Windows kills the `cmd.exe` it started and the Python below it keeps
running; MLflow's server runs uvicorn as a child of its own. So the tree is snapshotted while it
runs (a child that dies is reparented and could no longer be found from the root), and stopping
signals every remembered process. psutil guards against PID reuse: a remembered process whose
PID now belongs to another program is never signalled.

A record read back from LAB_HOME/run/lab.json (by `lab down`) is only signalled when it is
still the process the lab started: same start time, same command line, same user
(`ProcRecord.verified`). A forged or stale record cannot make `lab down` kill anything else.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import psutil

from lab.procs import alive, wait_gone
from lab.procs import stop_processes as stop

__all__ = ["ProcRecord", "ProcessTree", "alive", "record", "stop", "wait_gone"]


@dataclass(frozen=True)
class ProcRecord:
    """A process by PID and creation time: enough to find it again from another process."""

    pid: int
    create_time: float
    name: str = ""
    cmdline: tuple[str, ...] = ()  # the command line it was started with

    def live(self) -> psutil.Process | None:
        """The process if it still runs and is the same one (not a reused PID)."""
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.create_time) > 0.01:
                return None
            return proc if proc.status() != psutil.STATUS_ZOMBIE else None
        except psutil.Error:
            return None

    def verified(self) -> psutil.Process | None:
        """`live()`, and only when it is still the process the lab started: its command line is
        the recorded one and it runs as this user. What may be signalled from a record read
        back from disk; a record without a command line (forged, or older) never is."""
        proc = self.live()
        if proc is None or not self.cmdline:
            return None
        try:
            if tuple(proc.cmdline()) != tuple(self.cmdline) or not _same_user(proc):
                return None
        except psutil.Error:
            return None
        return proc


def _same_user(proc: psutil.Process) -> bool:
    if os.name == "nt":
        return bool(proc.username() == psutil.Process().username())
    return bool(proc.uids().real == os.getuid())


def record(proc: psutil.Process) -> ProcRecord | None:
    try:
        return ProcRecord(proc.pid, proc.create_time(), proc.name(), tuple(proc.cmdline()))
    except psutil.Error:
        return None


class ProcessTree:
    """Processes seen below `root_pid`; call `refresh()` often while the tree runs."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self._seen: dict[int, psutil.Process] = {}
        #: the root, known by its start time too: once it is reaped its PID may be another
        #: program's, which psutil then tells apart (None: it had ended already)
        self.root: psutil.Process | None = None
        with contextlib.suppress(psutil.Error):
            self.root = psutil.Process(root_pid)

    def refresh(self) -> None:
        with contextlib.suppress(psutil.Error):
            if self.root is None or not self.root.is_running():
                return  # the root is gone: what it started was seen before, or is lost
            for child in self.root.children(recursive=True):
                known = self._seen.get(child.pid)
                if known is None or not known.is_running():
                    self._seen[child.pid] = child

    def processes(self) -> list[psutil.Process]:
        """Remembered processes that still run (a reused PID does not count)."""
        return [p for p in self._seen.values() if alive(p)]

    def records(self) -> list[ProcRecord]:
        return [r for r in map(record, self.processes()) if r is not None]

    def stop(self, grace: float = 5.0) -> list[psutil.Process]:
        """Terminate every remembered process; kill what is left after `grace` seconds."""
        self.refresh()
        return stop(self.processes(), grace)
