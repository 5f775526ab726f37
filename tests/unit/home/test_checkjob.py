""" "Check this module": `lab check -m Mx` as a child, its progress read from its output."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from lab.home.checkjob import Busy, CheckRunner

#: prints what `lab check` prints while it runs (rich's live line), then exits 1
FAKE = r"""
import sys, time
print("grading the project")
for i, cid in enumerate(["M4.crm_record", "M4.flow_log", "M4.crm_down"]):
    sys.stdout.write(f"\r\x1b[2K\x1b[32m⠋\x1b[0m {cid} some title ━━━━ \x1b[32m{i}/3\x1b[0m")
    sys.stdout.flush()
    time.sleep(0.05)
print("\n┃ table line ┃")
print("total 5/15 (33%)")
sys.exit(1)
"""


def _wait(runner: CheckRunner) -> dict:
    deadline = time.monotonic() + 30
    while (state := runner.state()) and state["running"]:
        assert time.monotonic() < deadline, state
        time.sleep(0.05)
    assert state is not None
    return state


def test_the_progress_and_the_exit_of_the_check_are_followed(tmp_path: Path) -> None:
    script = tmp_path / "fake_lab.py"
    script.write_text(FAKE, encoding="utf-8")
    runner = CheckRunner(tmp_path, (sys.executable, str(script)))
    assert runner.state() is None
    started = runner.start("M4")
    assert started["running"] and started["module"] == "M4"
    state = _wait(runner)
    assert (state["exit_code"], state["done"], state["total"]) == (1, 3, 3)
    assert state["current"] == "M4.crm_down"
    assert state["lines"] == ["grading the project", "total 5/15 (33%)"]


def test_one_check_at_a_time_and_only_a_module_id(tmp_path: Path) -> None:
    runner = CheckRunner(tmp_path, (sys.executable, "-c", "import time; time.sleep(1)"))
    with pytest.raises(ValueError, match="no module"):
        runner.start("M4; rm -rf /")
    runner.start("M1")
    with pytest.raises(Busy):
        runner.start("M2")
    assert _wait(runner)["exit_code"] == 0
