"""Where the TODOs are: the starter lines of a workspace that name a criterion.

`scan` reads the workspace once, line by line, and only the files a course project is made of
(its source, config and dashboard files, under `MAX_BYTES` each): a learner's data file of
gigabytes (`data/train.csv`, a model) is never opened. `lab check` scans once per run and looks
every failed criterion up in the result (`TodoIndex`). The hint ladder built on them is
`lab.exercises.ladder`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SKIP_DIRS = {".git", ".lab", ".venv", "venv", "__pycache__", ".tox", "tasks", "node_modules"}
#: the kinds of file a course project's TODOs live in (a starter region's stand-ins)
KINDS = {".py", ".toml", ".yml", ".yaml", ".ini", ".cfg", ".json", ".txt", ".md"}
NAMES = {"Dockerfile", "Containerfile"}
#: a file larger than this is data, not the project's source: never read for TODOs
MAX_BYTES = 1024 * 1024


def _criterion(group: str) -> str:
    return rf"(?P<{group}>[A-Za-z][A-Za-z0-9_]{{0,29}}\.[a-z0-9_]+)"


#: a starter's stand-in: `raise NotImplementedError("M4.x: ...")`, `# TODO M4.x: ...`, or a
#: dashboard panel titled `"M5.x: ..."` whose query is "TODO"
_TODO = re.compile(
    rf'NotImplementedError\(\s*"{_criterion("id")}:|TODO {_criterion("id2")}:'
    rf'|"{_criterion("id3")}:[^"]*".*TODO'
)


@dataclass(frozen=True)
class TodoIndex:
    """criterion id -> `path:line` of each TODO naming it, from one scan of a workspace."""

    root: Path
    found: dict[str, list[str]] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()  # files of a project kind left unread: over MAX_BYTES

    def of(self, criterion: str) -> list[str]:
        return list(self.found.get(criterion, ()))


def project_files(root: Path) -> Iterator[Path]:
    """The files of the project's own kinds under `root`, in a stable order (dot-folders but
    `.github`, virtual environments, caches and the task texts left out)."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d for d in dirs if d not in SKIP_DIRS and (not d.startswith(".") or d == ".github")
        )
        for name in sorted(files):
            path = Path(folder, name)
            if name in NAMES or path.suffix.lower() in KINDS:
                yield path


def scan(root: Path, max_bytes: int = MAX_BYTES) -> TodoIndex:
    """Every starter TODO of the workspace at `root`, in one streaming pass."""
    found: dict[str, list[str]] = {}
    skipped = []
    for path in project_files(root):
        rel = path.relative_to(root).as_posix()
        try:
            if path.stat().st_size > max_bytes:
                skipped.append(rel)
                continue
            with path.open(encoding="utf-8", errors="strict") as lines:
                for number, line in enumerate(lines, 1):
                    match = _TODO.search(line)
                    if match:
                        cid = match["id"] or match["id2"] or match["id3"]
                        found.setdefault(cid, []).append(f"{rel}:{number}")
        except (OSError, UnicodeDecodeError):
            continue
    return TodoIndex(root, found, tuple(skipped))


def todos(root: Path, criterion: str) -> list[str]:
    """`path:line` of each starter TODO in the workspace that names `criterion` (one scan; to
    look up many criteria, `scan` once and use `TodoIndex.of`)."""
    return scan(root).of(criterion)
