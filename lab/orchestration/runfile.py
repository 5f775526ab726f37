"""LAB_HOME/run/lab.json: which `lab up` runs this lab, and every process it started.

`lab down` and `lab status` read it from another terminal; `lab up` rewrites it as its process
tree grows and removes it when it stops. A record whose `lab up` no longer runs is stale.
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
class RunRecord:
    pid: int  # the `lab up` process
    create_time: float
    started_at: float
    cwd: str
    urls: dict[str, str] = field(default_factory=dict)
    children: list[ProcRecord] = field(default_factory=list)

    @property
    def owner(self) -> ProcRecord:
        return ProcRecord(self.pid, self.create_time, "lab up")

    def running(self) -> bool:
        return self.owner.live() is not None


def path(run_dir: Path) -> Path:
    return run_dir / FILE_NAME


def for_this_process(urls: dict[str, str]) -> RunRecord:
    me = record(psutil.Process(os.getpid()))
    assert me is not None
    return RunRecord(me.pid, me.create_time, time.time(), str(Path.cwd()), urls)


def write(run_dir: Path, rec: RunRecord) -> None:
    write_atomic(path(run_dir), json.dumps(asdict(rec), indent=2))


def read(run_dir: Path) -> RunRecord | None:
    """The record, or None when there is none or it is unreadable (treated as no record)."""
    try:
        data = json.loads(path(run_dir).read_text(encoding="utf-8"))
        children = [ProcRecord(**c) for c in data.pop("children", [])]
        return RunRecord(**data, children=children)
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
