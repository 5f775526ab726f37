"""What a learner was assigned: modules *given* are shown as such and not counted.

A module is given when the course handed it over solved (a one-module workspace holds the
modules it needs solved: `lab exercise start M4` solves M1-M3), or when a catch-up pack applied
its solution (a commit "solution of M2 applied", lab.authoring.catchup). `mark_given` takes its
points out of the learner's points and of the maximum, and says why in check.json.

The learner's `progress.json` (attempts, failures, hints used, quiz answers) is read as it is
committed: it is *self-reported*, shown to the instructor, never graded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lab import workspace
from lab.authoring.catchup import applied_modules
from lab.exercises import course, progress

SOLVED = "solved by the course"
CAUGHT_UP = "a catch-up pack applied its solution"
SELF_REPORTED = "self-reported: the learner's progress.json as committed, not verified"


def given_modules(
    project: Path, of: course.Course | None = None, history: Path | None = None
) -> dict[str, str]:
    """Module id -> why it is given, for the project at `project` (its git history at
    `history`, default the project itself)."""
    try:
        ws = workspace.find(project)
    except workspace.WorkspaceError:
        ws = None
    given: dict[str, str] = {}
    if ws is not None and ws.root == project.resolve():
        try:
            of = of or course.load(ws.course_dir)
            ids = [m for m in ws.modules if m in of.ids]
            solved = {n for m in ids for n in of.get(m).needs} - set(ws.modules)
            given.update(dict.fromkeys(sorted(solved), SOLVED))
        except course.CourseError:
            pass
    for module in applied_modules(history or project):
        given[module] = CAUGHT_UP
    return given


def mark_given(result: dict[str, Any], given: dict[str, str]) -> dict[str, Any]:
    """check.json with each given module marked, its points out of the total and the maximum."""
    if not given:
        return result
    marked = json.loads(json.dumps(result))
    for module in marked["modules"]:
        why = given.get(module["id"])
        if why is None:
            continue
        module["given"] = why
        marked["points"] -= module["points"]
        marked["max_points"] -= module["max_points"]
    top = marked["max_points"]
    marked["percent"] = round(100.0 * marked["points"] / top, 1) if top else 0.0
    marked["given"] = dict(given)
    return marked


def self_reported(project: Path) -> dict[str, Any] | None:
    """The learner's progress.json as committed (None without one), labelled self-reported."""
    path = project / progress.FILE
    try:
        doc = json.loads(path.read_bytes()[: 1 << 20].decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict):
        return None
    return {"label": SELF_REPORTED, "progress": doc}
