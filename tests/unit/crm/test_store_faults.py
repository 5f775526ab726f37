"""The CRM store under faults: a failed COMMIT is rolled back (issue 13); closing it while a
worker thread checkpoints does not crash the process."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lab.crm.schemas import SegmentUpdate
from lab.crm.store import CustomerStore


class FailingCommit:
    """The store's connection, except that the next COMMIT fails as a full disk would."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.fail_next = True

    def execute(self, sql: str, *args: object):
        if sql == "COMMIT" and self.fail_next:
            self.fail_next = False
            raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._db, name)


def _update(request_id: str, segment: str) -> SegmentUpdate:
    return SegmentUpdate(
        segment=segment, model_version="v1.0.0", probability=0.8, request_id=request_id
    )


def test_a_failed_commit_is_rolled_back_and_later_writes_work(tmp_path: Path) -> None:
    store = CustomerStore.open(tmp_path / "crm.db", seed_count=2)
    real = store._db
    store._db = FailingCommit(real)  # type: ignore[assignment]
    try:
        with pytest.raises(sqlite3.OperationalError, match="disk is full"):
            store.apply("CUST001", _update("req-1", "high_risk"))
        assert not real.in_transaction
        assert store.get("CUST001").segment is None  # nothing of the failed write is kept
        written = store.apply("CUST001", _update("req-2", "loyal"))
    finally:
        store._db = real
        store.close()
    assert written.segment == "loyal"
    reopened = CustomerStore.open(tmp_path / "crm.db", seed_count=2)
    assert [h.request_id for h in reopened.history("CUST001").items] == ["req-2"]
    reopened.close()


#: Opens a store, checkpoints it from a worker thread (as the CRM app does) and closes it while
#: a checkpoint may be under way, many times; a crash (segfault) shows as the exit code.
_CLOSE_WHILE_CHECKPOINTING = """
import sys, threading, time
from pathlib import Path
from lab.crm.store import CustomerStore

for i in range(30):
    store = CustomerStore.open(Path(sys.argv[1]) / f"crm{i}.db", seed_count=5,
                               background_checkpoints=True)
    stop = threading.Event()

    def checkpoint_forever() -> None:
        while not stop.is_set():
            store.checkpoint()
            time.sleep(0.0002)

    worker = threading.Thread(target=checkpoint_forever)
    worker.start()
    time.sleep(0.002)
    store.close()
    stop.set()
    worker.join()
    assert store.checkpoint() == (0, 0)  # closed: nothing to do, no new connection
"""


def test_closing_while_a_worker_thread_checkpoints_does_not_crash(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", _CLOSE_WHILE_CHECKPOINTING, str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[3],
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
