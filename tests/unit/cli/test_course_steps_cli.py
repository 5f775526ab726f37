"""`lab course start` and `lab course next` from the command line: one project, one commit per
step, what arrived said, and a learner's line kept."""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner

from lab.cli import main


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout


def test_start_then_next_brings_m2_and_keeps_the_learners_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    started = CliRunner().invoke(main, ["course", "start", "--dir", "project"])
    assert started.exit_code == 0, started.output
    root = tmp_path / "project"
    assert "tests/public -m M1" in started.output and "course next" in started.output
    assert not (root / "Dockerfile").exists() and not (root / "tasks/M2.md").exists()
    toml = root / "pyproject.toml"
    toml.write_text(toml.read_text().replace("# TODO M1.deps", '"httpx>=0.27",  # mine\n    # x'))
    monkeypatch.chdir(root / "app")  # from a folder inside the project
    moved = CliRunner().invoke(main, ["course", "next"])
    assert moved.exit_code == 0, moved.output
    assert "M2 (Model serving) arrived" in moved.output and "new: Dockerfile" in moved.output
    assert '"httpx>=0.27",  # mine' in toml.read_text()
    assert 'raise NotImplementedError("M2.reject: write' in (root / "app/main.py").read_text()
    assert (root / "tasks/M2.md").is_file() and (root / "tests/public/test_m2_serving.py").is_file()
    subjects = git(root, "log", "--format=%s").splitlines()
    assert subjects[0].startswith("Course: M2 (Model serving) arrives")
    assert subjects[1] == "Your work up to M1" and subjects[-1].startswith("Course start: M1")
    assert 'modules = ["M1", "M2"]' in (root / "workspace.toml").read_text()
    assert git(root, "status", "--porcelain").strip() == ""


def test_next_outside_a_course_project_says_how_to_start_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["exercise", "start", "M2", "--dir", "ws"])
    assert done.exit_code == 0, done.output
    moved = CliRunner().invoke(main, ["course", "next", "--dir", "ws"])
    assert moved.exit_code == 1 and "lab course start" in moved.output


def test_status_says_given_and_not_yet_never_to_do_for_what_is_not_yours(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["exercise", "start", "M3", "--dir", "ws"]).exit_code == 0
    monkeypatch.chdir(tmp_path / "ws")
    said = " ".join(CliRunner().invoke(main, ["exercise", "status"]).output.split())
    assert "M1 given (solved for you)" in said and "M1 to do" not in said
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["course", "start", "--dir", "p"]).exit_code == 0
    monkeypatch.chdir(tmp_path / "p")
    said = " ".join(CliRunner().invoke(main, ["exercise", "status"]).output.split())
    assert "M1 to do" in said and "M2 comes with `lab course next`" in said
