from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lab import data, drift

seeds = st.integers(min_value=0, max_value=2**32 - 1)


@settings(deadline=None)
@given(seed=seeds)
def test_psi_of_the_reference_data_is_zero(seed):
    X = data.generate_features(500, seed)
    refs = drift.reference(X, data.FEATURE_NAMES)
    for name, value in drift.psi_all(refs, X, data.FEATURE_NAMES).items():
        assert abs(value) < 1e-9, name
    assert drift.drifted_share(drift.psi_all(refs, X, data.FEATURE_NAMES)) == 0.0


@settings(deadline=None)
@given(seed=seeds, steps=st.lists(st.integers(1, 20), min_size=2, max_size=5, unique=True))
def test_psi_grows_monotonically_with_a_shift(seed, steps):
    rng = np.random.default_rng(seed)
    ref_values = rng.normal(0.0, 1.0, 4000)
    ref = drift.feature_reference(ref_values)
    current = rng.normal(0.0, 1.0, 4000)
    shifts = sorted(steps)
    values = [drift.psi(ref, current + s * 0.15) for s in shifts]
    assert all(b >= a for a, b in itertools.pairwise(values))
    assert values[-1] > values[0]


@given(values=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=200))
def test_reference_shares_are_a_distribution(values):
    ref = drift.feature_reference(values)
    assert abs(sum(ref["shares"]) - 1.0) < 1e-9
    assert len(ref["shares"]) == len(ref["edges"]) - 1
    assert drift.psi(ref, values) < 1e-9


def test_a_large_shift_is_reported_as_drift():
    X = data.generate_features(2000, 1)
    refs = drift.reference(X, data.FEATURE_NAMES)
    shifted = X.copy()
    shifted[:, :5] = shifted[:, :5] * 3 + 10
    share = drift.drifted_share(drift.psi_all(refs, shifted, data.FEATURE_NAMES))
    assert share >= 0.5
