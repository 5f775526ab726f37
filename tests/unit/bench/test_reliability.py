"""How `lab bench --chaos/--soak` judge answers and match CRM writes to history rows."""

from __future__ import annotations

from pathlib import Path

from lab.bench import reliability
from lab.crm.schemas import SegmentUpdate
from lab.crm.store import CustomerStore
from lab.integration.flow import crm_request_id
from lab.observability.load import Sent

SECRET = "test-crm-token-0000"


def key(request_id: str, customer_id: str) -> str:
    return crm_request_id(request_id, customer_id, SECRET)


def crm(rid: str, status: int | None, customer: str = "CUST001", **answer) -> Sent:
    return Sent("crm", status, 0.01, rid, customer, {"recorded": True, **answer} if answer or
                status == 200 else None)  # fmt: skip


def write(store: CustomerStore, rid: str, segment: str, customer: str = "CUST001") -> bool:
    update = SegmentUpdate(segment=segment, model_version="v1", probability=0.5,
                           request_id=crm_request_id(rid, customer, SECRET))  # fmt: skip
    return store.apply(customer, update).recorded


def test_only_documented_failures_are_acceptable() -> None:
    results = [Sent("predict", 200, 0.0), Sent("predict", 503, 0.0), Sent("crm", 504, 0.0),
               Sent("bad", 422, 0.0), Sent("predict", 500, 0.0), Sent("bad", 200, 0.0),
               Sent("predict", None, 0.0)]  # fmt: skip
    figures = reliability.AnswerFigures.of(results)
    assert (figures.sent, figures.undocumented, figures.no_answer) == (7, 2, 1)
    assert figures.by_status["503"] == 1 and figures.by_status["no answer"] == 1


def test_every_200_matches_its_rows_and_a_lost_or_doubled_write_shows(tmp_path: Path) -> None:
    store = CustomerStore.open(tmp_path / "crm.db", seed_count=0)
    try:
        assert write(store, "a", "high_risk")
        assert not write(store, "b", "high_risk")  # unchanged: no row
        assert write(store, "c", "low_risk")  # its answer was lost (the API was killed)
    finally:
        store.close()
    results = [crm("a", 200, recorded=True), crm("b", 200, recorded=False), crm("c", None)]
    ledger = reliability.check_ledger(results, tmp_path / "crm.db", key)
    assert (ledger.ok_answers, ledger.matched, ledger.written_without_200) == (2, 2, 1)
    assert ledger.clean
    lost = reliability.check_ledger(
        [*results, crm("d", 200, recorded=True)], tmp_path / "crm.db", key
    )
    assert lost.lost == 1 and not lost.clean
