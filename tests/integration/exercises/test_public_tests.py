"""The course's public tests (tests/public in every workspace, marked by module): a learner runs
them from M1 on, with no lab running. Each module's fail on its starter and pass on its solution,
and nothing else breaks their collection."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.exercises import build

pytestmark = pytest.mark.integration  # each test runs pytest in a workspace (seconds each)


def public(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
           "tests/public", *args]  # fmt: skip
    return subprocess.run(cmd, cwd=ws, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("variant", ["starter", "solution"])
def test_m2_public_tests_fail_on_the_starter_and_pass_on_the_solution(tmp_path, variant):
    ws = build.create(tmp_path / variant, "M2", variant=variant, git=False).root
    done = public(ws, "-m", "M2")
    said = done.stdout[-1500:] + done.stderr[-1500:]
    assert "error" not in said.lower().splitlines()[-1], said  # no collection error
    if variant == "solution":
        assert done.returncode == 0, said
    else:
        assert done.returncode == 1 and " failed" in said, said
        assert "501" in done.stdout or "NotImplementedError" in done.stdout


def test_every_test_is_marked_with_its_module_and_all_collect(tmp_path):
    ws = build.create(tmp_path / "ws", "M4", git=False).root
    done = public(ws, "--collect-only")
    assert done.returncode == 0, done.stdout[-2000:]
    assert len([line for line in done.stdout.splitlines() if "::" in line]) > 30
    files = sorted((ws / "tests" / "public").glob("test_*.py"))
    assert [f.name.split("_")[1] for f in files] == ["m1", "m2", "m3", "m4", "m5", "m6"]
    for path in files:
        module = path.name.split("_")[1].upper()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigns = [n for n in tree.body if isinstance(n, ast.Assign)]
        marks = [ast.unparse(n.value) for n in assigns if ast.unparse(n.targets[0]) == "pytestmark"]
        assert marks == [f"pytest.mark.{module}"], (path.name, marks)


def test_the_plain_test_command_collects_in_a_starter(tmp_path):
    """`python -m pytest` in a starter: the learner's M6 files import and collect (a module-level
    TODO is a comment, never a raise at import)."""
    ws = build.create(tmp_path / "ws", "M2", git=False).root
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ws, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode in (0, 5), done.stdout[-2000:]
    assert "NotImplementedError" not in done.stdout


def test_lab_check_reports_the_public_tests_of_the_modules_it_grades(tmp_path):
    ws = build.create(tmp_path / "ws", "M2", variant="solution", git=False).root
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "lab", "check", "-m", "M2", "--no-fault-checks", "--fresh",
         "--project-dir", str(ws), "--json", str(out / "c.json"), "--badges", str(out / "b"),
         "--html", str(out / "r.html")],
        cwd=ws, capture_output=True, text=True, timeout=600,
        env={**os.environ, "LAB_HOME": str(tmp_path / "home"), "COLUMNS": "250"},
    )  # fmt: skip
    said = " ".join((done.stdout + done.stderr).split())
    assert "public tests (python -m pytest tests/public -m 'M2'):" in said, said[-2000:]
    assert " passed" in said.split("public tests", 1)[1]
