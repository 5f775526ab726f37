"""The commands `lab exercise start` and `lab course start` print run as printed: `lab` when
that name on PATH is this lab, else the full path of this lab's launcher."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lab.cli import main
from lab.cli._common import lab_invocation


def test_without_lab_on_path_the_printed_command_is_the_launchers_full_path(monkeypatch):
    monkeypatch.setenv("PATH", os.defpath if sys.platform != "win32" else "")
    said = lab_invocation()
    assert said != "lab"
    done = subprocess.run([*shlex.split(said), "--version"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="the launcher's name differs (lab.exe)")
def test_with_this_lab_on_path_it_is_just_lab(monkeypatch):
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.defpath}")
    assert lab_invocation() == "lab"


def test_exercise_start_prints_a_next_step_that_runs_from_the_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", os.defpath)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["exercise", "start", "M4", "--dir", "ws"])
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.startswith("next:"))
    command = line.split("&&", 1)[1].split(" up,", 1)[0].strip()
    assert command != "lab"
    done = subprocess.run(
        [*shlex.split(command), "--version"], cwd=tmp_path / "ws", capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
