"""LAB_HOME/run/lab.json: which `lab up` runs this lab, each process's state, every PID.

`lab down`, `lab status` and `lab stop|start|restart` read it from another terminal; `lab up`
rewrites it when a state changes or its process tree grows, and removes it when it stops. A
record whose `lab up` no longer runs is stale.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from lab.files import write_atomic
from lab.orchestration.proctree import ProcRecord, record

FILE_NAME = "lab.json"


@dataclass
class ProcView:
    """One Procfile process as `lab up` last saw it."""

    state: str  # a policy.Phase value
    pid: int | None = None
    create_time: float | None = None
    started_at: float | None = None  # wall-clock time of its start (for uptime)
    restarts: int = 0
    last_exit: int | None = None
    request: str = ""  # id of the last control request `lab up` finished for it
    detail: str = ""  # what its health URL said, the missing tool's hint, or why it crashed

    def live(self) -> psutil.Process | None:
        if self.pid is None or self.create_time is None:
            return None
        return ProcRecord(self.pid, self.create_time).live()


@dataclass
class RunRecord:
    pid: int  # the `lab up` process
    create_time: float
    started_at: float
    cwd: str
    urls: dict[str, str] = field(default_factory=dict)
    children: list[ProcRecord] = field(default_factory=list)
    processes: dict[str, ProcView] = field(default_factory=dict)
    cmdline: list[str] = field(default_factory=list)  # the `lab up` process's command line

    @property
    def owner(self) -> ProcRecord:
        return ProcRecord(self.pid, self.create_time, "lab up", tuple(self.cmdline))

    def running(self) -> bool:
        return self.owner.live() is not None


def path(run_dir: Path) -> Path:
    return run_dir / FILE_NAME


def for_this_process(urls: dict[str, str]) -> RunRecord:
    me = record(psutil.Process(os.getpid()))
    assert me is not None
    return RunRecord(
        me.pid, me.create_time, time.time(), str(Path.cwd()), urls, cmdline=list(me.cmdline)
    )


def write(run_dir: Path, rec: RunRecord) -> None:
    write_atomic(path(run_dir), json.dumps(asdict(rec), indent=2))


def read(run_dir: Path) -> RunRecord | None:
    """The record, or None when there is none or it is unreadable (treated as no record)."""
    try:
        data = json.loads(path(run_dir).read_text(encoding="utf-8"))
        children = [
            ProcRecord(**{**c, "cmdline": tuple(c.get("cmdline") or ())})
            for c in data.pop("children", [])
        ]
        views = {n: ProcView(**v) for n, v in data.pop("processes", {}).items()}
        return RunRecord(**data, children=children, processes=views)
    except (OSError, ValueError, TypeError):
        return None


def remove(run_dir: Path, owner_pid: int | None = None) -> None:
    """Delete the record (only if it is `owner_pid`'s, when given)."""
    if owner_pid is not None:
        current = read(run_dir)
        if current is not None and current.pid != owner_pid:
            return
    with contextlib.suppress(FileNotFoundError):
        path(run_dir).unlink()
