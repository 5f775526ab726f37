"""Where the TODOs are: the starter lines of a workspace that name a criterion.

The hint ladder built on them is `lab.exercises.ladder`.
"""

from __future__ import annotations

from pathlib import Path

SKIP_DIRS = {".git", ".lab", ".venv", "__pycache__", ".tox", "tasks"}


def todos(root: Path, criterion: str) -> list[str]:
    """`path:line` of each starter TODO in the workspace that names `criterion`."""
    needles = (f'NotImplementedError("{criterion}:', f"TODO {criterion}:", f'"TODO {criterion}:')
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or SKIP_DIRS & set(path.relative_to(root).parts):
            continue
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, 1):
            if any(n in line for n in needles) or (f'"{criterion}:' in line and "TODO" in line):
                found.append(f"{path.relative_to(root).as_posix()}:{number}")
    return found
