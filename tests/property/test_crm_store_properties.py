"""Properties of the CRM store: any sequence of segment writes (with retries and replays) leaves
each customer's last applied segment and exactly one history row per distinct request_id."""

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
        st.sampled_from(SEGMENTS),
        st.integers(0, 15),  # a small pool of request ids, so many writes are replays
        st.floats(0, 1, allow_nan=False),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(writes)
def test_last_segment_wins_and_one_history_row_per_request_id(sequence) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = CustomerStore.open(Path(folder) / "crm.db", seed_count=0)
        try:
            applied: dict[str, tuple[str, str, float]] = {}  # request_id -> what it wrote
            expected_segment: dict[str, str | None] = dict.fromkeys(CUSTOMERS)
            expected_rows: dict[str, list[str]] = {c: [] for c in CUSTOMERS}
            for customer, segment, rid, p in sequence:
                request_id = f"req-{rid}"
                update = SegmentUpdate(
                    segment=segment, model_version="v1", probability=p, request_id=request_id
                )
                if request_id in applied and applied[request_id] != (customer, segment, p):
                    try:
                        store.apply(customer, update)
                    except RequestIdConflictError:
                        continue
                    raise AssertionError("a reused request_id with a new payload was accepted")
                write = store.apply(customer, update)
                assert write.replayed == (request_id in applied)
                if not write.replayed:
                    applied[request_id] = (customer, segment, p)
                    expected_segment[customer] = segment
                    expected_rows[customer].append(request_id)

            for customer in CUSTOMERS:
                assert store.get(customer).segment == expected_segment[customer]
                history = store.history(customer, limit=1000)
                assert [h.request_id for h in reversed(history.items)] == expected_rows[customer]
            assert store.counts()[1] == len(applied) == len(set(applied))
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
            rows = list(reversed(store.history("CUST001", limit=100).items))
            assert [r.old_segment for r in rows] == [None, *segments[:-1]]
            assert [r.segment for r in rows] == segments
        finally:
            store.close()
