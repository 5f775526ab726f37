"""`lab course new`, an instructor's edits, then `lab course verify --course`: a module passes
with the edits, and a module fails once a solution region no longer passes its criterion. One
verify of M1 and M2 proves both (M1's solution edited, M2's broken): the two modules share one
MLflow and one training, where a verify each took twice as long (the lab's services start once
per verify; `lab exercise verify` of every module is tests/integration/grading/test_verify.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.exercises import course, source
from tests.support import lab_env

pytestmark = pytest.mark.integration


def _lab(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "lab", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=1500,
    )  # fmt: skip
    print(f"lab {' '.join(args)}: exit {done.returncode} in {time.monotonic() - started:.0f} s")
    print(done.stdout[-3000:], done.stderr[-3000:])
    return done


def _region(of: course.Course, criterion: str, suffix: str = ".py") -> tuple[Path, source.Region]:
    for rel, text in source.project_files(of.project_dir).items():
        for region in source.regions(rel, text):
            if region.criterion == criterion and rel.endswith(suffix):
                stored = next(p for p in of.project_dir.rglob("*") if source.workspace_name(
                    p.relative_to(of.project_dir)) == rel)  # fmt: skip
                return stored, region
    raise AssertionError(f"no {suffix} region of {criterion}")


def _replace_lines(path: Path, start: int, end: int, lines: list[str]) -> None:
    text = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*text[:start], *lines, *text[end:]]) + "\n", encoding="utf-8")


@pytest.mark.timeout(1800)
def test_an_edited_course_verifies_and_a_broken_solution_does_not(tmp_path: Path) -> None:
    env = lab_env(tmp_path / "home")
    for key in [k for k in env if k.endswith("_PORT")]:
        del env[key]  # verify picks its own free ports
    assert _lab("course", "new", "mycourse", env=env, cwd=tmp_path).returncode == 0
    mine = course.load(tmp_path / "mycourse")
    for module in ("M1", "M2"):
        task = mine.task_file(module)
        task.write_text(task.read_text("utf-8") + "\nAsk your instructor first.\n", "utf-8")
    path, region = _region(mine, "M1.train", ".ini")  # M1's regions are in tox.ini, pyproject
    note = f"{region.indent}# the instructor's note: one line of the solution changed"
    _replace_lines(path, region.begin + 1, region.begin + 1, [note])
    assert _lab("course", "lint", "--course", str(mine.root), env=env, cwd=tmp_path).returncode == 0

    path, region = _region(mine, "M2.reject")  # the solution's part no longer rejects anything
    _replace_lines(path, region.begin + 1, region.end, [region.todo()])
    done = _lab("course", "verify", "--course", str(mine.root), "M1", "M2", env=env, cwd=tmp_path)
    out = done.stdout
    assert done.returncode == 1  # M2's problem fails the verify
    assert "✔ M1" in out  # the edited module verifies: its solution passes, its starter fails
    assert "✘ M2" in out and "solution: M2.reject fail" in out[out.index("✘ M2") :]


def test_a_hidden_mutant_the_solutions_tests_miss_is_a_problem(tmp_path: Path) -> None:
    from lab.authoring.new import new_course
    from lab.authoring.proof import hidden_mutants_missed
    from lab.settings import default_config_dir

    mine = new_course(tmp_path / "mine", default_config_dir() / "rubric.yml")
    assert hidden_mutants_missed(mine, sys.executable) == []  # the default course's is caught
    (mine.instructor_dir / "mutants.yml").write_text(
        "mutants:\n  - name: quiet_log\n    what: a log line says less\n"
        "    path: app/metrics.py\n    find: 'log.warning(\"metrics: %s: %s\"'\n"
        "    replace: 'log.info(\"metrics: %s: %s\"'\n",
        encoding="utf-8",
    )
    (said,) = hidden_mutants_missed(course.load(mine.root), sys.executable)
    assert said.startswith("hidden mutant quiet_log (a log line says less)")
