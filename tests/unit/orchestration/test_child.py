"""Stopping a child whose process already ended never signals another program's process group:
PIDs wrap around, and the group's number may name a newer group by then."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lab.orchestration.child import Child

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX")

SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


def test_a_reaped_child_leaves_a_group_that_reuses_its_number_alone() -> None:
    child = Child(f'"{sys.executable}" -c "pass"', os.environ, None, lambda line: None)
    child.proc.wait(30)  # ended and reaped: its number is free for reuse
    other = subprocess.Popen(SLEEP, start_new_session=True)  # another program's group
    try:
        child.pid = other.pid  # as if the OS had given the number to it
        child.stop(grace=0.5)
        assert other.poll() is None, "stopping an ended child signalled another group"
    finally:
        other.kill()
        other.wait()


def test_a_running_child_is_stopped_with_its_group() -> None:
    child = Child(f'"{sys.executable}" -c "import time; time.sleep(60)"', os.environ, None,
                  lambda line: None)  # fmt: skip
    assert child.stop(grace=5) == []
    assert child.proc.poll() is not None
