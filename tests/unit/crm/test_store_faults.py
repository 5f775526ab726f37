"""The CRM store after a failed COMMIT: rolled back, and the next write works (issue 13)."""

from __future__ import annotations

import sqlite3
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
