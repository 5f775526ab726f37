"""`lab down` from another process: the recorded `lab up` and every recorded leftover stop."""

from __future__ import annotations

from pathlib import Path

import psutil

from lab.orchestration import down, runfile
from lab.orchestration.proctree import record
from tests.unit.orchestration.conftest import running


def _record(run_dir: Path, owner_pid: int, children: list[int]) -> None:
    me = record(psutil.Process(owner_pid))
    rec = runfile.RunRecord(me.pid, me.create_time, 0.0, str(run_dir))
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
