"""The test tools come with the first `lab test` (not with the first `bin/lab up`)."""

from __future__ import annotations

import importlib.util
import sys

from click.testing import CliRunner

from lab import testrun as test_cmd
from lab.cli import main
from tests.support import REPO


def test_a_first_lab_test_installs_the_test_extras_and_says_so(monkeypatch):
    installed: set[str] = set()
    real_find_spec = importlib.util.find_spec
    calls: list[list[str]] = []

    def find_spec(name, *args):
        if name in test_cmd.TEST_MODULES and name not in installed:
            return None
        return real_find_spec(name, *args)

    def call(cmd, *args, **kwargs):
        calls.append(cmd)
        if "pip" in cmd:
            installed.update(test_cmd.TEST_MODULES)
        return 0

    monkeypatch.delenv("CI", raising=False)  # one run (CI=true would make it three)
    monkeypatch.setattr(test_cmd.importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(test_cmd.subprocess, "call", call)
    result = CliRunner().invoke(main, ["test", "tests/unit/test_files.py"])
    assert result.exit_code == 0, result.output
    assert "installing the test tools" in result.output and "first `lab test` only" in result.output
    pip, pytest = calls
    assert pip[:3] == [sys.executable, "-m", "pip"] and pip[-2:] == ["-e", f"{REPO}[test]"]
    assert pytest[:3] == [sys.executable, "-m", "pytest"]
    calls.clear()
    again = CliRunner().invoke(main, ["test", "tests/unit/test_files.py"])
    assert again.exit_code == 0 and "installing" not in again.output
    assert [c[2] for c in calls] == ["pytest"]  # installed once


def test_bin_lab_installs_no_test_extras():
    for launcher in ("lab", "lab.cmd"):
        text = (REPO / "bin" / launcher).read_text(encoding="utf-8")
        installs = [line for line in text.splitlines() if "pip install" in line and "-e" in line]
        assert installs and not any("[test]" in line for line in installs), launcher


def test_a_failed_install_says_what_to_run(monkeypatch):
    monkeypatch.setattr(test_cmd.importlib.util, "find_spec", lambda name, *a: None)
    monkeypatch.setattr(test_cmd.subprocess, "call", lambda *a, **k: 1)
    result = CliRunner().invoke(main, ["test"])
    assert result.exit_code == 1
    assert f"pip install -e '{REPO}[test]'" in " ".join(result.output.split())
