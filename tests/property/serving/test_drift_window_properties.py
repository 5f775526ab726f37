"""The drift window holds exactly the most recent rows, whatever the batch sizes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.serving.drift_window import DriftWindow


@settings(max_examples=200, deadline=None)
@given(size=st.integers(1, 40), batches=st.lists(st.integers(1, 60), max_size=30))
def test_the_window_holds_the_last_rows(size: int, batches: list[int]) -> None:
    window = DriftWindow(size, width=2)
    sent = np.empty((0, 2))
    counter = 0
    for n in batches:
        X = np.column_stack([np.arange(counter, counter + n, dtype=float)] * 2)
        counter += n
        window.add(X)
        sent = np.vstack([sent, X])
    expected = sent[-size:] if len(sent) else sent
    assert window.seen == len(sent)
    assert sorted(window.rows()[:, 0]) == sorted(expected[:, 0])
    assert np.array_equal(window.rows()[:, 0], window.rows()[:, 1])  # rows stay whole
