"""A passing result of an environment check, kept while nothing it depends on changes.

`lab check` runs M1.deps (import every dependency in the project's interpreter) and M1.train
(run the project's training command) in a few seconds each, every time, though a learner who
is working on M4 changes neither. Their kinds say `reusable`: a pass is stored under a key made
of what the check depends on, and the next run with the same key reports it again, saying so.
What the key covers:
- the check: its kind and its parameters;
- the project's interpreter: its path, and the names and times of what is installed in its
  virtual environment (a `pip install` changes them);
- the project: the path, size and modification time of every file outside dot-folders (.git,
  .venv, .lab ...), caches (__pycache__, build ...) and virtual environments under any name.
An interpreter outside a venv, or one that also sees the system's packages, is never reused.
Only `lab check` reuses, never with `--fresh`; `lab grade` and `lab exercise verify` run every
check (they pass `--fresh`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lab.acceptance.checks.environment import SKIP_DIRS
from lab.acceptance.checks.facts import Fact, Facts
from lab.exercises import progress

#: Folders whose files do not count: the ones the layout check skips (state, caches,
#: environments), MLflow's local store too; dot-folders neither.
SKIP = frozenset(SKIP_DIRS | {"mlruns"})
PROGRESS = progress.FILE.name  # the workspace's progress.json, at its root
#: A project with more files than this is not fingerprinted (it would cost more than it saves).
MOST_FILES = 20_000
#: Results kept per store (the oldest go first).
KEEP = 64


def _venv(python: Path) -> Path | None:
    """The virtual environment `python` runs in, when it sees nothing else installed."""
    for root in (python.parent.parent, python.parent):
        cfg = root / "pyvenv.cfg"
        if cfg.is_file():
            text = cfg.read_text(encoding="utf-8", errors="replace").lower()
            lines = {ln.split("=", 1)[0].strip(): ln.split("=", 1)[-1].strip()
                     for ln in text.splitlines() if "=" in ln}  # fmt: skip
            if lines.get("include-system-site-packages") == "true":
                return None
            return root
    return None


def _installed(venv: Path) -> Iterator[str]:
    """The venv's installed distributions and path hooks, with their modification times."""
    for site in sorted([*venv.glob("lib/python*/site-packages"), *venv.glob("Lib/site-packages")]):
        for entry in sorted(site.iterdir()):
            if entry.suffix in (".dist-info", ".egg-info", ".pth", ".egg-link"):
                yield f"{entry.name}:{entry.stat().st_mtime_ns}"


def _project_files(root: Path) -> Iterator[str]:
    count = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d for d in dirs
            if d not in SKIP and not d.startswith(".")
            and not (Path(folder) / d / "pyvenv.cfg").is_file()  # a venv under any name
        )  # fmt: skip
        for name in sorted(files):
            if folder == str(root) and name == PROGRESS:  # `lab check` writes it each run
                continue
            count += 1
            if count > MOST_FILES:
                raise OverflowError
            path = Path(folder) / name
            with contextlib.suppress(OSError):
                st = path.stat()
                yield f"{path.relative_to(root).as_posix()}:{st.st_size}:{st.st_mtime_ns}"


def state(python: Path | None, project: Path) -> str | None:
    """What every reusable check depends on (the venv's installed distributions, the project's
    files), hashed; None when it cannot be told (then the checks run)."""
    if python is None or (venv := _venv(python)) is None:
        return None
    digest = hashlib.sha256(str(python.absolute()).encode("utf-8", "surrogateescape") + b"\n")
    try:
        for line in (*_installed(venv), "--", *_project_files(project)):
            digest.update(line.encode("utf-8", "surrogateescape") + b"\n")
    except (OSError, OverflowError):
        return None
    return digest.hexdigest()


#: what every reusable check of the run depends on (`state`)
STATE: Fact[str | None] = Fact("reuse:state")


def key(kind: str, params: dict[str, Any], python: Path | None, project: Path,
        facts: Facts) -> str | None:  # fmt: skip
    """One check's key: its kind and parameters, and the `state` (computed once per run, a
    fact shared by the checks' threads)."""
    found = facts.once(STATE, None, lambda: state(python, project))
    if found is None:
        return None
    return hashlib.sha256(json.dumps([kind, params, found], sort_keys=True).encode()).hexdigest()


class Store:
    """The kept passes, in one JSON file (written whole, atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # the checks run in threads

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> dict[str, Any] | None:
        found = self._read().get(key)
        return found if isinstance(found, dict) and isinstance(found.get("observed"), str) else None

    def put(self, key: str, observed: str) -> None:
        """Keep a pass (a store that cannot be written only means the next run runs it)."""
        with self._lock:
            data = self._read()
            data[key] = {"observed": observed, "at": time.time()}
            kept = dict(sorted(data.items(), key=lambda kv: float(kv[1].get("at", 0)))[-KEEP:])
            with contextlib.suppress(OSError):
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".checks-", suffix=".tmp")
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as f:
                        json.dump(kept, f)
                    Path(tmp).replace(self.path)
                finally:
                    Path(tmp).unlink(missing_ok=True)


def reused(kept: dict[str, Any]) -> str:
    """The observed text of a pass reported again."""
    when = time.strftime("%H:%M", time.localtime(float(kept.get("at", 0))))
    return (
        f"{kept['observed']} · kept from {when}: neither the project's files nor its venv "
        "changed since (`lab check --fresh` runs it again)"
    )
