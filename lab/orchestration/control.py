"""Requests from another terminal to the running `lab up`: files in LAB_HOME/run/control/.

`lab stop|start|restart NAME` drops one small JSON file (`{"id", "name", "action"}`); `lab up`
reads the folder every quarter second, acts, removes the file and writes the request's id into
that process's entry of the run record (lab.json), which the caller waits for. Files work the
same on every OS and need no port or socket of their own.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from lab.files import private_dir, write_atomic

FOLDER = "control"
ACTIONS = ("stop", "start", "restart", "down")


@dataclass(frozen=True)
class Request:
    id: str
    name: str  # a Procfile process name ("" for down)
    action: str


def send(run_dir: Path, name: str, action: str) -> Request:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    req = Request(uuid.uuid4().hex[:12], name, action)
    folder = private_dir(run_dir / FOLDER)  # (a request stops processes: owner only)
    write_atomic(folder / f"{req.id}.json", json.dumps(req.__dict__))
    return req


def pending(run_dir: Path) -> list[Request]:
    """Requests not handled yet, oldest first; unreadable files are dropped."""
    folder = run_dir / FOLDER
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.json"), key=_mtime):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found.append(Request(str(data["id"]), str(data["name"]), str(data["action"])))
        except (OSError, ValueError, KeyError, TypeError):
            with contextlib.suppress(OSError):
                path.unlink()
    return found


def done(run_dir: Path, req: Request) -> None:
    with contextlib.suppress(OSError):
        (run_dir / FOLDER / f"{req.id}.json").unlink()


def answered(run_dir: Path, req: Request, within: float) -> bool:
    """True once `lab up` took the request (its file is gone) within `within` seconds."""
    path = run_dir / FOLDER / f"{req.id}.json"
    deadline = time.monotonic() + within
    while path.exists():
        if time.monotonic() > deadline:
            done(run_dir, req)
            return False
        time.sleep(0.05)
    return True


def clear(run_dir: Path) -> None:
    """Drop requests left by an earlier `lab up` (they were never answered); the folder is
    (re)made owner-only, since a request in it stops processes."""
    private_dir(run_dir / FOLDER)
    for req in pending(run_dir):
        done(run_dir, req)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
