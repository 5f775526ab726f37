"""The CRM's SQLite store (WAL): customers, their features, and an append-only segment history.

A segment write is one transaction: it appends a history row keyed by `request_id` (UNIQUE)
and updates the customer, so a write is applied exactly once however often it is retried.
Unknown customers are never created by a write.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from lab.crm.schemas import (
    Customer,
    CustomerFeatures,
    CustomerPage,
    HistoryEntry,
    HistoryPage,
    SegmentUpdate,
    SegmentWrite,
)
from lab.crm.seed import SeedCustomer, seed_customers
from lab.data import FEATURE_NAMES

_FEATURE_COLUMNS = ", ".join(f"{name} REAL NOT NULL" for name in FEATURE_NAMES)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS customers (
    customer_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    segment TEXT,
    model_version TEXT,
    probability REAL,
    updated_at TEXT,
    created_at TEXT NOT NULL,
    last_request_id TEXT,
    {_FEATURE_COLUMNS}
);
CREATE INDEX IF NOT EXISTS customers_by_segment ON customers (segment, customer_id);
CREATE TABLE IF NOT EXISTS segment_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL REFERENCES customers (customer_id),
    old_segment TEXT,
    segment TEXT NOT NULL,
    model_version TEXT NOT NULL,
    probability REAL NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_by_customer ON segment_history (customer_id, id);
"""
_CUSTOMER_COLUMNS = "customer_id, name, segment, model_version, probability, updated_at, created_at"
_HISTORY_COLUMNS = "request_id, old_segment, segment, model_version, probability, updated_at"


class CustomerNotFoundError(LookupError):
    def __init__(self, customer_id: str):
        super().__init__(f"customer {customer_id!r} not found")
        self.customer_id = customer_id


class RequestIdConflictError(ValueError):
    """The request_id was already applied with another customer or payload."""


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CustomerStore:
    """One SQLite connection in WAL mode, shared under a lock (calls are sub-millisecond)."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], str] = utc_now,
        background_checkpoints: bool = False,
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute("PRAGMA foreign_keys=ON")
        if background_checkpoints:
            # Checkpoints (the only fsyncs in WAL + synchronous=NORMAL) stalled a write every
            # ~150 by 5-15 ms; `checkpoint()` does them from a worker thread instead.
            self._db.execute("PRAGMA wal_autocheckpoint=0")
        self._checkpointer: sqlite3.Connection | None = None
        # held through a checkpoint and by close(): closing the checkpointer's connection while
        # a worker thread checkpoints on it crashed the process (a segfault inside sqlite3)
        self._checkpointing = threading.Lock()
        self._closed = False
        self._db.executescript(_SCHEMA)
        self._migrate()

    @classmethod
    def open(
        cls, path: Path, *, seed_count: int, background_checkpoints: bool = False
    ) -> CustomerStore:
        """Open (creating if needed) the store at `path`, seeded once with `seed_count`.

        With `background_checkpoints`, the caller must call `checkpoint()` regularly (from a
        worker thread) or the WAL file grows without bound.
        """
        store = cls(path, background_checkpoints=background_checkpoints)
        store.seed(seed_customers(seed_count))
        return store

    def close(self) -> None:
        """Close the store, after a checkpoint under way in a worker thread has finished."""
        with self._checkpointing, self._lock:
            self._closed = True
            if self._checkpointer is not None:
                self._checkpointer.close()
            self._db.close()  # the last connection to close checkpoints the WAL

    def checkpoint(self) -> tuple[int, int]:
        """Copy the WAL into the database (PASSIVE: never blocks writers); call it from a worker
        thread. Returns (WAL pages, pages checkpointed); (0, 0) once the store is closed."""
        with self._checkpointing:
            if self._closed:
                return 0, 0
            if self._checkpointer is None:
                self._checkpointer = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False
                )
            _busy, wal_pages, done = self._checkpointer.execute(
                "PRAGMA wal_checkpoint(PASSIVE)"
            ).fetchone()
        return wal_pages, done

    # ---- seeding --------------------------------------------------------------------------
    def seed(self, customers: Iterable[SeedCustomer]) -> int:
        """Insert `customers` if the store was never seeded; return how many were inserted."""
        placeholders = ", ".join("?" * (4 + len(FEATURE_NAMES)))
        sql = (
            f"INSERT INTO customers (customer_id, name, created_at, segment, "
            f"{', '.join(FEATURE_NAMES)}) VALUES ({placeholders})"
        )
        with self._lock, self._transaction():
            if self._db.execute("SELECT 1 FROM meta WHERE key = 'seeded_at'").fetchone():
                return 0
            now = self._clock()
            rows = [(c.customer_id, c.name, now, None, *c.features) for c in customers]
            self._db.executemany(sql, rows)
            self._db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("seeded_at", now), ("seeded_customers", str(len(rows)))],
            )
            return len(rows)

    def seeded(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    # ---- reads ----------------------------------------------------------------------------
    def get(self, customer_id: str) -> Customer:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE customer_id = ?", (customer_id,)
            ).fetchone()
        if row is None:
            raise CustomerNotFoundError(customer_id)
        return _customer(row)

    def features(self, customer_id: str) -> CustomerFeatures:
        with self._lock:
            row = self._db.execute(
                f"SELECT {', '.join(FEATURE_NAMES)} FROM customers WHERE customer_id = ?",
                (customer_id,),
            ).fetchone()
        if row is None:
            raise CustomerNotFoundError(customer_id)
        return CustomerFeatures(
            customer_id=customer_id, features=dict(zip(FEATURE_NAMES, row, strict=True))
        )

    def list(
        self, *, segment: str | None = None, limit: int = 100, offset: int = 0
    ) -> CustomerPage:
        where, args = ("WHERE segment = ?", (segment,)) if segment is not None else ("", ())
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM customers {where}", args).fetchone()[0]
            rows = self._db.execute(
                f"SELECT {_CUSTOMER_COLUMNS} FROM customers {where} "
                "ORDER BY customer_id LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
        items = [_customer(r) for r in rows]
        return CustomerPage(items=items, total=total, limit=limit, offset=offset)

    def history(self, customer_id: str, *, limit: int = 100, offset: int = 0) -> HistoryPage:
        with self._lock:
            if not self._exists(customer_id):
                raise CustomerNotFoundError(customer_id)
            total = self._db.execute(
                "SELECT COUNT(*) FROM segment_history WHERE customer_id = ?", (customer_id,)
            ).fetchone()[0]
            rows = self._db.execute(
                f"SELECT {_HISTORY_COLUMNS} FROM segment_history WHERE customer_id = ? "
                "ORDER BY id DESC LIMIT ? OFFSET ?",
                (customer_id, limit, offset),
            ).fetchall()
        names = _HISTORY_COLUMNS.split(", ")
        items = [HistoryEntry(**dict(zip(names, r, strict=True))) for r in rows]
        return HistoryPage(
            customer_id=customer_id, items=items, total=total, limit=limit, offset=offset
        )

    def counts(self) -> tuple[int, int]:
        """(customers, history rows)."""
        with self._lock:
            customers = self._db.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
            history = self._db.execute("SELECT COUNT(*) FROM segment_history").fetchone()[0]
        return customers, history

    # ---- the one write --------------------------------------------------------------------
    def apply(self, customer_id: str, update: SegmentUpdate) -> SegmentWrite:
        """Set the customer's segment, once per `request_id`.

        A history row is appended only when the segment or the model version changes; an
        unchanged re-score updates the customer's probability, time and `last_request_id` only
        (`recorded` false). A request_id seen before (in the history, or as the customer's last
        write) is a replay and changes nothing. Raises `CustomerNotFoundError` (nothing written)
        or `RequestIdConflictError` when the request_id was used for another customer or payload.
        """
        with self._lock, self._transaction():
            earlier = self._db.execute(
                f"SELECT customer_id, {_HISTORY_COLUMNS} FROM segment_history WHERE request_id = ?",
                (update.request_id,),
            ).fetchone()
            if earlier is not None:
                return _replay(customer_id, update, earlier)
            current = self._db.execute(
                "SELECT segment, model_version, probability, updated_at, last_request_id "
                "FROM customers WHERE customer_id = ?",
                (customer_id,),
            ).fetchone()
            if current is None:
                raise CustomerNotFoundError(customer_id)
            old_segment, old_version, old_p, old_at, last_request_id = current
            if last_request_id == update.request_id:  # a retry of an unchanged re-score
                earlier = (customer_id, update.request_id, old_segment, old_segment,
                           old_version, old_p, old_at)  # fmt: skip
                return _replay(customer_id, update, earlier, recorded=False)
            recorded = (old_segment, old_version) != (update.segment, update.model_version)
            now = self._clock()
            if recorded:
                self._db.execute(
                    "INSERT INTO segment_history (request_id, customer_id, old_segment, segment, "
                    "model_version, probability, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (update.request_id, customer_id, old_segment, update.segment,
                     update.model_version, update.probability, now),
                )  # fmt: skip
            self._db.execute(
                "UPDATE customers SET segment = ?, model_version = ?, probability = ?, "
                "updated_at = ?, last_request_id = ? WHERE customer_id = ?",
                (update.segment, update.model_version, update.probability, now,
                 update.request_id, customer_id),
            )  # fmt: skip
        return SegmentWrite(
            customer_id=customer_id,
            old_segment=old_segment,
            segment=update.segment,
            model_version=update.model_version,
            probability=update.probability,
            request_id=update.request_id,
            updated_at=now,
            recorded=recorded,
        )

    # ---- helpers --------------------------------------------------------------------------
    def _exists(self, customer_id: str) -> bool:
        return (
            self._db.execute(
                "SELECT 1 FROM customers WHERE customer_id = ?", (customer_id,)
            ).fetchone()
            is not None
        )

    def _migrate(self) -> None:
        """Add what later versions need to a database an earlier version created."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(customers)")}
        if "last_request_id" not in columns:
            self._db.execute("ALTER TABLE customers ADD COLUMN last_request_id TEXT")

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error (never a half-written update)."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self._rollback()
            return
        try:
            self._db.execute("COMMIT")
        except BaseException:
            # A COMMIT that fails (disk full, I/O error) leaves the transaction open: every
            # later BEGIN would fail too. Roll it back, then let the caller report the error.
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")


def _customer(row: tuple) -> Customer:
    return Customer(**dict(zip(_CUSTOMER_COLUMNS.split(", "), row, strict=True)))


def _replay(
    customer_id: str, update: SegmentUpdate, earlier: tuple, *, recorded: bool = True
) -> SegmentWrite:
    first_customer, request_id, old_segment, segment, model_version, probability, at = earlier
    same = (first_customer, segment, model_version, probability) == (
        customer_id, update.segment, update.model_version, update.probability
    )  # fmt: skip
    if not same:
        raise RequestIdConflictError(
            f"request_id {request_id!r} was already used for another update "
            f"(customer {first_customer}, segment {segment}); use a new request_id for a new update"
        )
    return SegmentWrite(
        customer_id=customer_id,
        old_segment=old_segment,
        segment=segment,
        model_version=model_version,
        probability=probability,
        request_id=request_id,
        updated_at=at,
        replayed=True,
        recorded=recorded,
    )
