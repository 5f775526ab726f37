"""lab.exercises.solving: a module solved in a course project as a learner solves it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from lab import workspace
from lab.envfile import GENERATED
from lab.exercises import course, solving, source, steps


@pytest.fixture(scope="module")
def of() -> course.Course:
    return course.load()


def todos_of(root: Path, of: course.Course, module: str) -> list[str]:
    """The module's TODO lines still in the project."""
    found = []
    for rel, text in source.project_files(of.project_dir).items():
        held = (root / rel).read_text(encoding="utf-8") if (root / rel).is_file() else ""
        found += [r.todo() for r in source.regions(rel, text) if r.module == module
                  and r.todo() in held.splitlines()]  # fmt: skip
    return found


def test_m1_is_solved_in_place_with_the_learners_lines_and_committed(
    tmp_path: Path, of: course.Course
) -> None:
    root = steps.start(tmp_path / "p", of)
    assert todos_of(root, of, "M1") and not (root / ".env").exists()
    done = solving.solve(root, of, "M1", python=sys.executable)
    assert todos_of(root, of, "M1") == []
    assert solving.missing(root, done.blocks) == []
    files = {rel for rel, _ in done.mine}
    assert workspace.FILE_NAME in files and "tox.ini" in files
    env = (root / ".env").read_text(encoding="utf-8")
    values = dict(ln.split("=", 1) for ln in env.splitlines() if "=" in ln and ln[0] != "#")
    assert GENERATED not in values.values() and len(values["CRM_TOKEN"]) >= 16
    doc = tomllib.loads((root / workspace.FILE_NAME).read_text(encoding="utf-8"))
    assert doc["workspace"]["python"] == sys.executable
    assert doc["commands"]["train"] == solving.TRAIN
    assert solving.commit(root, "Solve M1")
    subject = subprocess.run(["git", "log", "-1", "--format=%s"], cwd=root,
                             capture_output=True, text=True).stdout.strip()  # fmt: skip
    assert subject == "Solve M1"
    assert solving.commit(root, "nothing new") is None  # nothing changed since
    # `lab course next` keeps every line the learner wrote
    steps.advance(root)
    assert solving.missing(root, done.blocks) == []
    assert todos_of(root, of, "M2")


def test_a_module_that_has_not_arrived_cannot_be_solved(tmp_path: Path, of: course.Course) -> None:
    root = steps.start(tmp_path / "p", of, git=False)
    with pytest.raises(solving.SolveError, match="at step M2"):
        solving.solve(root, of, "M2", python=sys.executable)


def test_a_learners_line_changed_or_moved_apart_is_missing(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n# mine\ny = 2\n", encoding="utf-8")
    blocks = [("a.py", ("# mine", "y = 2")), ("b.py", ("z",))]
    assert solving.missing(tmp_path, blocks) == ["b.py: z"]
    (tmp_path / "a.py").write_text("# mine\nx = 1\ny = 2\n", encoding="utf-8")
    assert solving.missing(tmp_path, blocks[:1]) == ["a.py: # mine"]


def test_the_learners_own_line_fits_the_file(of: course.Course) -> None:
    assert solving.own_line("app/main.py", "    ", "M2") == "    # my own line in M2 (app/main.py)"
    panel = solving.own_line("dashboards/churn.json", "  ", "M5")
    assert panel.startswith('  {"title": "my own line in M5') and panel.endswith("},")
