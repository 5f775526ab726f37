"""Stopping a real process tree: grandchildren, orphans, processes that ignore SIGTERM."""

from __future__ import annotations

import sys

import psutil
import pytest

from lab.orchestration import proctree
from lab.orchestration.proctree import ProcessTree, ProcRecord
from tests.unit.orchestration.conftest import running


# Each tree is rooted at the process the test started, never at the test's own process: that
# one may have other children (a session's MLflow server, on a pytest-xdist worker).
def test_stopping_a_tree_stops_the_grandchildren(spawn_tree):
    proc, pids = spawn_tree(depth=2)
    below = [pid for pid in pids if pid != proc.pid]
    tree = ProcessTree(proc.pid)
    tree.refresh()
    assert set(below) == {p.pid for p in tree.processes()} and len(below) == 2
    assert tree.stop(grace=5) == []
    assert not any(running(pid) for pid in below)
    assert proc.poll() is None  # the root is not part of its tree: its owner stops it
    proc.terminate()
    proc.wait(5)


def test_an_orphan_remembered_before_its_parent_died_is_still_stopped(spawn_tree):
    proc, (parent, child) = spawn_tree(depth=1)
    assert parent == proc.pid
    tree = ProcessTree(parent)
    tree.refresh()
    psutil.Process(parent).kill()  # the child is reparented: no longer below its parent
    proc.wait(5)
    assert child not in {p.pid for p in psutil.Process().children(recursive=True)}
    assert tree.stop(grace=5) == []
    assert not running(child)


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no catchable SIGTERM")
def test_a_process_that_ignores_sigterm_is_killed_after_the_grace(spawn_tree):
    proc, (_, child) = spawn_tree(depth=1, ignore_term=True)
    tree = ProcessTree(proc.pid)
    tree.refresh()
    assert tree.stop(grace=1) == []
    assert not running(child)
    proc.kill()
    proc.wait(5)


def test_a_tree_never_reaches_the_processes_beside_it(spawn_tree):
    """Two trees side by side (two labs, or a test beside a session's server): stopping one
    leaves the other running."""
    first, _ = spawn_tree(depth=1)
    second, (_, second_child) = spawn_tree(depth=1)
    tree = ProcessTree(first.pid)
    tree.refresh()
    assert tree.stop(grace=5) == []
    assert running(second_child) and second.poll() is None


def test_a_reused_pid_is_never_signalled(spawn_tree):
    _, (pid, _) = spawn_tree(depth=1)
    real = proctree.record(psutil.Process(pid))
    assert real is not None and real.live() is not None
    impostor = ProcRecord(pid, real.create_time - 1000.0)  # same PID, another process
    assert impostor.live() is None
    assert ProcRecord(2**22 + 12345, 0.0).live() is None  # no such PID at all


def test_stop_on_nothing_is_a_no_op():
    assert proctree.stop([]) == []
