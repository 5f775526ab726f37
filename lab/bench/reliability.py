"""What the chaos and soak runs share: traffic in a thread, process samples, the CRM ledger check.

Both runs drive the API with `lab load`'s generator (lab.observability.load) at a fixed rate
and judge every answer:
- a good request is answered 2xx, or one of the documented failures 502/503/504 (a dependency
  down or slow); a bad request 4xx (or 502/503/504 while the CRM is down);
- every 200 of `/crm_segment_update` has exactly the history rows it says it wrote: one when
  it `recorded` a change, none for an unchanged re-score (which must still match the customer's
  last recorded state). A row for a request that got no 200 (the API was killed after the
  write) is counted apart: written, not lost, and not doubled.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from lab.observability import load as load_mod

DOCUMENTED_FAILURES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class Sample:
    """One look at a process: seconds since the run started, resident memory, open files."""

    at: float
    rss: int
    fds: int


@dataclass(frozen=True)
class Growth:
    """How one process's memory and open files moved during a run: its first and last sample
    (None: it could not be sampled), and whether the last is of a restarted process."""

    name: str
    first: Sample | None
    last: Sample | None
    restarted: bool = False

    @property
    def rss_growth_bytes(self) -> int | None:
        return None if self.first is None or self.last is None else self.last.rss - self.first.rss

    @property
    def rss_growth(self) -> float | None:
        grown = self.rss_growth_bytes
        return (
            None
            if grown is None or not self.first or not self.first.rss
            else grown / self.first.rss
        )

    @property
    def fds_growth(self) -> int | None:
        return None if self.first is None or self.last is None else self.last.fds - self.first.fds


def sample(pid: int, at: float) -> Sample | None:
    try:
        proc = psutil.Process(pid)
        with proc.oneshot():
            rss = proc.memory_info().rss
            fds = proc.num_fds() if hasattr(proc, "num_fds") else proc.num_handles()  # type: ignore[attr-defined]
    except psutil.Error:
        return None
    return Sample(at, rss, fds)


class Traffic:
    """`lab load` in a background thread; `results` fills in as answers come back."""

    def __init__(self, plan: load_mod.LoadPlan, api_url: str, crm_url: str) -> None:
        self.plan = plan
        self.results: list[load_mod.Sent] = []
        self.summary: load_mod.Summary | None = None
        self.error: BaseException | None = None
        self.started = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, args=(api_url, crm_url), name="reliability-load", daemon=True
        )

    def _run(self, api_url: str, crm_url: str) -> None:
        try:
            self.summary = load_mod.run(
                self.plan, api_url, crm_url, on_sent=lambda sent, _: self.results.append(sent)
            )
        except BaseException as exc:  # reported by join()
            self.error = exc

    def start(self) -> Traffic:
        self.started = time.monotonic()
        self._thread.start()
        return self

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self) -> list[load_mod.Sent]:
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.results


def acceptable(sent: load_mod.Sent) -> bool:
    """An answer the docs promise: 2xx; 4xx for a bad request; 502/503/504 for a fault."""
    if sent.status is None:
        return False
    if sent.status in DOCUMENTED_FAILURES:
        return True
    return load_mod.expected(sent)


@dataclass
class AnswerFigures:
    sent: int = 0
    by_status: Counter = field(default_factory=Counter)  # "200", "503", "no answer", ...
    undocumented: int = 0  # an answer outside 2xx/4xx-for-bad/502/503/504
    no_answer: int = 0  # connection refused or timed out (the API itself was down)

    @classmethod
    def of(cls, results: list[load_mod.Sent]) -> AnswerFigures:
        figures = cls(sent=len(results))
        for r in results:
            figures.by_status["no answer" if r.status is None else str(r.status)] += 1
            if r.status is None:
                figures.no_answer += 1
            elif not acceptable(r):
                figures.undocumented += 1
        return figures


@dataclass
class LedgerFigures:
    """CRM writes against the CRM's history table."""

    ok_answers: int = 0  # 200 answers of /crm_segment_update
    matched: int = 0  # ... with exactly the history rows they announce
    lost: int = 0  # ... announcing a recorded change that has no row
    doubled: int = 0  # ... with more rows than announced
    mismatched: int = 0  # ... unchanged re-scores that do not match the last recorded state
    written_without_200: int = 0  # rows of requests that got no 200 (the API died after writing)
    repeated_rows: int = 0  # rows repeating the customer's previous state (a doubled write)

    @property
    def clean(self) -> bool:
        return self.matched == self.ok_answers and not (
            self.lost or self.doubled or self.repeated_rows
        )


def api_crm_key(secret: str) -> Callable[[str, str], str]:
    """The CRM key a run's API derives for a request id and customer (keyed by its CRM_TOKEN)."""
    from lab.integration.flow import crm_request_id

    return lambda request_id, customer_id: crm_request_id(request_id, customer_id, secret)


def check_ledger(
    results: list[load_mod.Sent], crm_db: Path, crm_key: Callable[[str, str], str]
) -> LedgerFigures:
    """Match every 200 of /crm_segment_update against the CRM's segment_history rows.

    `crm_key(request_id, customer_id)` is the CRM idempotency key the API derived for it."""
    figures = LedgerFigures()
    db = sqlite3.connect(f"file:{crm_db.as_posix()}?mode=ro", uri=True)
    try:
        history = db.execute(
            "SELECT request_id, customer_id, segment, model_version FROM segment_history "
            "ORDER BY id"
        ).fetchall()
    finally:
        db.close()
    rows: dict[str, list[str]] = {}
    state: dict[str, tuple[str, str]] = {}
    for key, customer, segment, version in history:
        rows.setdefault(key, []).append(customer)
        if state.get(customer) == (segment, version):
            figures.repeated_rows += 1  # a second row for a state already recorded
        state[customer] = (segment, version)
    answered = set()
    for r in results:
        if r.kind != "crm" or r.status != 200 or not r.answer:
            continue
        figures.ok_answers += 1
        key = crm_key(r.request_id, r.customer_id or "")
        answered.add(key)
        found = len(rows.get(key, ()))
        expected = 1 if r.answer.get("recorded", True) else 0
        if found > expected:
            figures.doubled += 1
        elif found < expected:
            figures.lost += 1
        elif expected == 0 and r.customer_id not in state:
            figures.mismatched += 1  # "unchanged", yet the customer has no recorded state
        else:
            figures.matched += 1
    figures.written_without_200 = sum(len(v) for k, v in rows.items() if k not in answered)
    return figures
