"""The checks' helper processes run at a low CPU priority, and fail like `subprocess.run`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.acceptance.checks._priority import LOW, low_priority, run_low

NICENESS = "import os; print(os.nice(0))"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX niceness; Windows: a priority class")
def test_the_process_runs_niced_and_what_it_starts_too(tmp_path: Path) -> None:
    own = os.nice(0)
    child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {NICENESS!r}])"
    done = run_low([sys.executable, "-c", f"{NICENESS}; {child}"], timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [int(n) for n in done.stdout.split()] == [min(own + LOW, 19)] * 2


def test_a_missing_program_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        run_low([str(tmp_path / "no-such-python")], timeout=10)
    with pytest.raises(FileNotFoundError):
        low_priority(["no-such-program-anywhere"])


def test_a_timeout_raises_and_leaves_no_process() -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        run_low([sys.executable, "-c", "import time; time.sleep(60)"], timeout=0.5)


def test_windows_starts_it_below_normal(monkeypatch: pytest.MonkeyPatch) -> None:
    # the Windows branch, on any OS: no `nice` in front, the priority class as a creation flag
    below_normal = getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0x4000)
    monkeypatch.setattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", below_normal, raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    line, flags = low_priority([sys.executable, "-c", "pass"])
    assert line == [sys.executable, "-c", "pass"]
    assert flags == below_normal
