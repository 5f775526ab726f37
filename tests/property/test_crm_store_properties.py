"""Properties of the CRM store: any sequence of segment writes (with retries) leaves each
customer's last applied segment, and one history row per write that changed the segment or the
model version (an unchanged re-score adds none); a retry of a write changes nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lab.crm.schemas import SegmentUpdate
from lab.crm.seed import NAMED
from lab.crm.store import CustomerStore, RequestIdConflictError

CUSTOMERS = [c.customer_id for c in NAMED]
SEGMENTS = ["high_risk", "medium_risk", "low_risk", "vip"]

writes = st.lists(
    st.tuples(
        st.sampled_from(CUSTOMERS),
        st.sampled_from(SEGMENTS[:2]),  # two segments: many re-scores leave it unchanged
        st.sampled_from(["v1", "v2"]),
        st.booleans(),  # retried right away (the API's retries, a client's resend)
        st.floats(0, 1, allow_nan=False),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(writes)
def test_last_segment_wins_and_a_row_only_for_a_change(sequence) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = CustomerStore.open(Path(folder) / "crm.db", seed_count=0)
        try:
            state: dict[str, tuple[str, str] | None] = dict.fromkeys(CUSTOMERS)
            expected_rows: dict[str, list[str]] = {c: [] for c in CUSTOMERS}
            for i, (customer, segment, version, retried, p) in enumerate(sequence):
                update = SegmentUpdate(
                    segment=segment, model_version=version, probability=p, request_id=f"req-{i}"
                )
                first = store.apply(customer, update)
                changed = state[customer] != (segment, version)
                assert (first.replayed, first.recorded) == (False, changed)
                if changed:
                    expected_rows[customer].append(update.request_id)
                state[customer] = (segment, version)
                if retried:
                    again = store.apply(customer, update)
                    assert again.replayed and again.recorded == changed
                    assert (again.segment, again.updated_at) == (segment, first.updated_at)
                    other = update.model_copy(update={"probability": 1 - p if p != 0.5 else 0.1})
                    try:
                        store.apply(customer, other)
                    except RequestIdConflictError:
                        pass
                    else:
                        raise AssertionError("a reused request_id with a new payload was accepted")

            for customer in CUSTOMERS:
                current = store.get(customer)
                found = (current.segment, current.model_version) if current.segment else None
                assert found == state[customer]
                history = store.history(customer, limit=1000)
                assert [h.request_id for h in reversed(history.items)] == expected_rows[customer]
            assert store.counts()[1] == sum(len(rows) for rows in expected_rows.values())
        finally:
            store.close()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=20))
def test_history_chains_old_to_new_segments(segments: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = CustomerStore.open(Path(folder) / "crm.db", seed_count=0)
        try:
            for i, segment in enumerate(segments):
                store.apply(
                    "CUST001",
                    SegmentUpdate(
                        segment=segment, model_version="v", probability=0.5, request_id=f"r{i}"
                    ),
                )
            changes = [x for i, x in enumerate(segments) if i == 0 or segments[i - 1] != x]
            rows = list(reversed(store.history("CUST001", limit=100).items))
            assert [r.old_segment for r in rows] == [None, *changes[:-1]]
            assert [r.segment for r in rows] == changes
        finally:
            store.close()
