"""The CRM store on a real SQLite file: seeding, reads, the idempotent write, restarts."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from lab.crm.schemas import SegmentUpdate
from lab.crm.seed import NAMED, seed_customers, synthetic_id
from lab.crm.store import CustomerNotFoundError, CustomerStore, RequestIdConflictError
from lab.data import FEATURE_NAMES


def update(request_id: str = "req-1", segment: str = "high_risk", p: float = 0.8) -> SegmentUpdate:
    return SegmentUpdate(
        segment=segment, model_version="v1.0.0", probability=p, request_id=request_id
    )


@pytest.fixture
def store(tmp_path: Path):
    s = CustomerStore.open(tmp_path / "crm.db", seed_count=20)
    yield s
    s.close()


def test_seeds_the_named_customers_and_n_synthetic_ones(store: CustomerStore) -> None:
    page = store.list(limit=1000)
    ids = [c.customer_id for c in page.items]
    assert page.total == 24
    assert {"CUST001", "CUST002", "CUST003", "CUST_TEST_007"} <= set(ids)
    assert synthetic_id(1) in ids and synthetic_id(20) in ids and synthetic_id(21) not in ids
    assert all(c.segment is None for c in page.items)


def test_seeding_is_deterministic(tmp_path: Path) -> None:
    a = CustomerStore.open(tmp_path / "a.db", seed_count=5)
    b = CustomerStore.open(tmp_path / "b.db", seed_count=5)
    try:
        for customer in seed_customers(5):
            assert a.features(customer.customer_id) == b.features(customer.customer_id)
    finally:
        a.close()
        b.close()


def test_features_are_named_in_model_order(store: CustomerStore) -> None:
    features = store.features("CUST_TEST_007").features
    assert tuple(features) == FEATURE_NAMES
    assert tuple(features.values()) == tuple(float(v) for v in NAMED[3].features)


def test_write_updates_customer_and_appends_history(store: CustomerStore) -> None:
    first = store.apply("CUST001", update("r1", "low_risk", 0.1))
    second = store.apply("CUST001", update("r2", "high_risk", 0.9))
    assert (first.old_segment, first.segment) == (None, "low_risk")
    assert (second.old_segment, second.segment) == ("low_risk", "high_risk")
    customer = store.get("CUST001")
    assert (customer.segment, customer.probability, customer.model_version) == (
        "high_risk", 0.9, "v1.0.0"
    )  # fmt: skip
    history = store.history("CUST001")
    assert [h.request_id for h in history.items] == ["r2", "r1"]  # newest first
    assert history.total == 2


def test_same_request_id_is_applied_once(store: CustomerStore) -> None:
    store.apply("CUST002", update("dup"))
    again = store.apply("CUST002", update("dup"))
    assert again.replayed
    assert store.history("CUST002").total == 1
    assert store.counts()[1] == 1


def test_reused_request_id_with_other_payload_is_a_conflict(store: CustomerStore) -> None:
    store.apply("CUST002", update("dup", "low_risk", 0.1))
    with pytest.raises(RequestIdConflictError, match="dup"):
        store.apply("CUST002", update("dup", "high_risk", 0.9))
    with pytest.raises(RequestIdConflictError):
        store.apply("CUST003", update("dup", "low_risk", 0.1))
    assert store.get("CUST002").segment == "low_risk"
    assert store.get("CUST003").segment is None


def test_unknown_customer_is_never_created(store: CustomerStore) -> None:
    with pytest.raises(CustomerNotFoundError):
        store.apply("CUST404", update("r404"))
    with pytest.raises(CustomerNotFoundError):
        store.get("CUST404")
    with pytest.raises(CustomerNotFoundError):
        store.history("CUST404")
    assert store.counts() == (24, 0)


def test_filter_by_segment_and_paginate(store: CustomerStore) -> None:
    for i, cid in enumerate(["CUST001", "CUST003", synthetic_id(5)]):
        store.apply(cid, update(f"r{i}", "high_risk"))
    page = store.list(segment="high_risk", limit=2, offset=0)
    rest = store.list(segment="high_risk", limit=2, offset=2)
    assert page.total == rest.total == 3
    assert [c.customer_id for c in page.items + rest.items] == sorted(
        ["CUST001", "CUST003", synthetic_id(5)]
    )
    assert store.list(segment="low_risk").total == 0


def test_data_survives_a_restart_and_is_not_reseeded(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    first = CustomerStore.open(path, seed_count=3)
    first.apply("CUST_TEST_007", update("keep"))
    first.close()
    second = CustomerStore.open(path, seed_count=50)  # a new count does not reseed
    try:
        assert second.counts() == (7, 1)
        assert second.get("CUST_TEST_007").segment == "high_risk"
    finally:
        second.close()


def test_database_is_in_wal_mode(store: CustomerStore) -> None:
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_hostile_ids_are_just_unknown_to_sql(store: CustomerStore) -> None:
    # The API rejects these before they get here; the store still binds them as parameters.
    for hostile in ["x' OR '1'='1", "'; DROP TABLE customers; --", "../x", "é" * 10]:
        with pytest.raises(CustomerNotFoundError):
            store.get(hostile)
    assert store.counts()[0] == 24


def test_background_checkpoints_move_the_wal_into_the_database(tmp_path: Path) -> None:
    store = CustomerStore.open(tmp_path / "crm.db", seed_count=50, background_checkpoints=True)
    try:
        for i in range(300):  # alternating: every write changes the segment, so adds a row
            store.apply("CUST001", update(f"w{i}", ("low_risk", "high_risk")[i % 2], 0.1))
        wal = tmp_path / "crm.db-wal"
        pages, done = store.checkpoint()
        assert pages > 1000 and done == pages  # past SQLite's automatic threshold: none ran
        with sqlite3.connect(tmp_path / "crm.db") as other:  # what a fresh reader sees
            assert other.execute("SELECT COUNT(*) FROM segment_history").fetchone()[0] == 300
        assert wal.exists()
    finally:
        store.close()


def test_an_unchanged_rescore_adds_no_history_row_and_a_retry_is_a_replay(store) -> None:
    first = store.apply("CUST001", update("a", "high_risk", 0.8))
    same = store.apply("CUST001", update("b", "high_risk", 0.7))  # same segment and version
    retry = store.apply("CUST001", update("b", "high_risk", 0.7))
    assert (first.recorded, same.recorded, retry.recorded) == (True, False, False)
    assert retry.replayed and retry.updated_at == same.updated_at
    customer = store.get("CUST001")
    assert (customer.probability, customer.updated_at) == (0.7, same.updated_at)
    assert [h.request_id for h in store.history("CUST001").items] == ["a"]
    with pytest.raises(RequestIdConflictError):
        store.apply("CUST001", update("b", "high_risk", 0.1))
    newer = SegmentUpdate(segment="high_risk", model_version="v2.0.0", probability=0.7,
                          request_id="c")  # fmt: skip
    assert store.apply("CUST001", newer).recorded  # a new model version is a change
    assert store.counts()[1] == 2


def test_a_database_of_an_earlier_version_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    CustomerStore.open(path, seed_count=1).close()
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE customers DROP COLUMN last_request_id")
    store = CustomerStore.open(path, seed_count=1)
    try:
        assert store.apply("CUST001", update("x", "high_risk", 0.5)).recorded
    finally:
        store.close()


def _race(path: Path, first: SegmentUpdate, second: SegmentUpdate) -> list[object]:
    """`first` and `second` applied at the same moment by two stores on one file (two CRM
    workers): what each got back, a SegmentWrite or the error it raised."""
    stores = [CustomerStore.open(path, seed_count=20) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def write(i: int, upd: SegmentUpdate) -> None:
        barrier.wait(10)
        try:
            results[i] = stores[i].apply("CUST001", upd)
        except RequestIdConflictError as exc:
            results[i] = exc

    threads = [threading.Thread(target=write, args=(i, u)) for i, u in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for s in stores:
        s.close()
    return results


def _rows(path: Path, request_id: str) -> int:
    with sqlite3.connect(path) as db:
        query = "SELECT COUNT(*) FROM segment_history WHERE request_id = ?"
        return db.execute(query, (request_id,)).fetchone()[0]


@pytest.mark.parametrize("round_", range(8))
def test_two_concurrent_writes_of_one_request_id_write_one_row(tmp_path: Path, round_) -> None:
    path = tmp_path / "crm.db"
    same = update(f"req-same-{round_}")
    results = _race(path, same, same)
    assert sorted(r.replayed for r in results) == [False, True]  # one applied, one replayed
    assert _rows(path, same.request_id) == 1


@pytest.mark.parametrize("round_", range(8))
def test_two_concurrent_different_writes_of_one_request_id_are_one_row_and_a_conflict(
    tmp_path: Path, round_
) -> None:
    path = tmp_path / "crm.db"
    rid = f"req-clash-{round_}"
    results = _race(path, update(rid, "high_risk"), update(rid, "loyal", p=0.1))
    conflicts = [r for r in results if isinstance(r, RequestIdConflictError)]
    applied = [r for r in results if not isinstance(r, RequestIdConflictError)]
    assert len(conflicts) == 1 and len(applied) == 1 and applied[0].replayed is False
    assert _rows(path, rid) == 1
