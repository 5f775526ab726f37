"""`lab down` from another process: the recorded `lab up` and every recorded leftover stop."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import psutil

from lab.orchestration import down, runfile
from lab.orchestration.proctree import record
from tests.unit.orchestration.conftest import running


def _record(run_dir: Path, owner_pid: int, children: list[int]) -> None:
    me = record(psutil.Process(owner_pid))
    rec = runfile.RunRecord(me.pid, me.create_time, 0.0, str(run_dir), cmdline=list(me.cmdline))
    rec.children = [record(psutil.Process(p)) for p in children]
    runfile.write(run_dir, rec)


def test_down_stops_the_owner_its_tree_and_recorded_orphans(tmp_path: Path, spawn_tree):
    owner, (owner_pid, child_pid) = spawn_tree(depth=1)
    orphan, (orphan_pid,) = spawn_tree(depth=0)  # as if its parent had died
    _record(tmp_path, owner_pid, [orphan_pid])  # the owner's own child is found live
    result = down.down(tmp_path)
    assert result is not None and result.owner_was_running
    assert result.survivors == []
    assert not any(running(p) for p in (owner_pid, child_pid, orphan_pid))
    assert runfile.read(tmp_path) is None
    owner.wait(5)
    orphan.wait(5)


def test_down_after_lab_up_was_killed_sweeps_what_it_left(tmp_path: Path, spawn_tree):
    owner, (owner_pid, child_pid) = spawn_tree(depth=1)
    _record(tmp_path, owner_pid, [child_pid])
    psutil.Process(owner_pid).kill()  # `lab up` died without cleaning up
    owner.wait(5)
    result = down.down(tmp_path)
    assert result is not None and not result.owner_was_running
    assert result.swept == [child_pid]
    assert not running(child_pid)


def test_down_with_no_record_is_none(tmp_path: Path):
    assert down.down(tmp_path) is None


def test_a_forged_record_makes_down_signal_nothing(tmp_path: Path, spawn_tree):
    """lab.json names processes by PID and start time, both readable by anyone; a record whose
    command line is missing or not the process's own stops nothing (owner nor children)."""
    victim, (victim_pid,) = spawn_tree(depth=0)
    other, (other_pid,) = spawn_tree(depth=0)
    real = record(psutil.Process(victim_pid))
    for forged_cmdline in ([], ["python", "-m", "lab", "up"]):
        rec = runfile.RunRecord(
            real.pid, real.create_time, 0.0, str(tmp_path), cmdline=forged_cmdline
        )
        child = record(psutil.Process(other_pid))
        rec.children = [runfile.ProcRecord(child.pid, child.create_time, child.name, ())]
        runfile.write(tmp_path, rec)
        result = down.down(tmp_path)
        assert result is not None and not result.owner_was_running
        assert result.swept == [] and result.survivors == []
        assert running(victim_pid) and running(other_pid)
    assert runfile.read(tmp_path) is None
    for proc in (victim, other):
        proc.kill()
        proc.wait(5)


def test_a_recorded_process_is_verified_by_start_time_command_line_and_user(spawn_tree):
    _, (pid,) = spawn_tree(depth=0)
    rec = record(psutil.Process(pid))
    assert rec is not None and rec.cmdline and rec.verified() is not None
    assert replace(rec, cmdline=(*rec.cmdline, "--more")).verified() is None
    assert replace(rec, create_time=rec.create_time - 5).verified() is None
    assert replace(rec, cmdline=()).verified() is None
