"""`lab hint`: up to three levels per criterion, each more concrete, and where the TODOs are.

1. what the criterion wants (the rubric's hint) and the task line of its marked parts;
2. where to work: the TODO lines of the workspace that name the criterion;
3. the solution's code of those parts (the last resort).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from lab.exercises import source

LEVELS = 3
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


def hint_text(criterion: str, level: int, rubric_hint: str, root: Path | None) -> str:
    """The text of hint `level` (1..3) for `criterion`."""
    regions = [r for r in source.all_regions() if r.criterion == criterion]
    if level == 1:
        tasks = "".join(f"\n  - {r.task} ({r.path})" for r in regions)
        return f"{rubric_hint}{tasks and chr(10) + 'Your part:' + tasks}"
    if level == 2:
        where = todos(root, criterion) if root is not None else []
        if where:
            return "Work on the TODO lines that name it:\n  " + "\n  ".join(where)
        module = criterion.split(".")[0]
        return f"No TODO names {criterion} here; read the contract in tasks/{module}.md."
    if not regions:
        return "This criterion has no marked part: its task text and the rubric hint are all."
    parts = [
        f"{r.path} ({r.task}):\n" + textwrap.indent(textwrap.dedent("\n".join(r.code)), "    ")
        for r in regions
    ]
    return "One way to write it (the solution):\n" + "\n".join(parts)
