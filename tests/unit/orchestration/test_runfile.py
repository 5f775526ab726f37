"""The run record `lab down` and `lab status` read from another terminal."""

from __future__ import annotations

import os
from pathlib import Path

import psutil

from lab.orchestration import runfile
from lab.orchestration.proctree import record


def test_round_trip_and_ownership(tmp_path: Path):
    rec = runfile.for_this_process({"api": "http://127.0.0.1:1/schema"})
    rec.children = [record(psutil.Process(os.getpid()))]
    runfile.write(tmp_path, rec)
    again = runfile.read(tmp_path)
    assert again == rec
    assert again.running()
    runfile.remove(tmp_path, owner_pid=rec.pid + 1)  # someone else's: kept
    assert runfile.read(tmp_path) is not None
    runfile.remove(tmp_path, owner_pid=rec.pid)
    assert runfile.read(tmp_path) is None


def test_a_record_of_a_finished_lab_up_is_stale(tmp_path: Path):
    rec = runfile.for_this_process({})
    rec.create_time -= 3600  # the PID now belongs to another process
    runfile.write(tmp_path, rec)
    assert not runfile.read(tmp_path).running()


def test_a_corrupt_record_reads_as_none(tmp_path: Path):
    runfile.path(tmp_path).write_text("{not json")
    assert runfile.read(tmp_path) is None
