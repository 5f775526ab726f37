"""`lab load --drift`: shifted rows stay valid inputs and drift exactly the shifted features."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab import data, drift
from lab.observability import shift
from lab.serving.parsing import MAX_ABS_VALUE

REFERENCE = drift.reference(data.generate_features(5_000, seed=42), data.FEATURE_NAMES)
SHIFTABLE = list(shift.SHIFTS)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    features=st.lists(st.sampled_from(SHIFTABLE), min_size=1, unique=True),
)
def test_only_the_named_features_drift_and_values_stay_valid(seed: int, features) -> None:
    X = data.generate_features(1_000, seed)
    shifted = shift.shift(X, features)
    assert shifted.shape == X.shape
    assert np.isfinite(shifted).all() and np.abs(shifted).max() <= MAX_ABS_VALUE
    assert (shifted >= 0).all()  # counts, money and days stay non-negative
    scores = shifted[:, data.FEATURE_NAMES.index("satisfaction_score")]
    assert ((scores >= 1) & (scores <= 5)).all()
    psi = drift.psi_all(REFERENCE, shifted, data.FEATURE_NAMES)
    for i, name in enumerate(data.FEATURE_NAMES):
        if name in features:
            assert psi[name] > drift.DRIFTED_PSI, (name, psi[name])
        else:
            assert np.array_equal(shifted[:, i], X[:, i])
            assert psi[name] < 0.1, (name, psi[name])
    assert drift.drifted_share(psi) == pytest.approx(len(features) / data.N_FEATURES)


def test_every_shift_together_is_over_the_alert_threshold() -> None:
    from lab.metric_names import DRIFT_ALERT_SHARE

    assert len(shift.SHIFTS) / data.N_FEATURES > DRIFT_ALERT_SHARE


def test_the_input_is_not_modified() -> None:
    X = data.generate_features(10, seed=1)
    before = X.copy()
    shift.shift(X, SHIFTABLE)
    assert np.array_equal(X, before)


def test_features_come_back_in_model_order() -> None:
    assert shift.check_features(["satisfaction_score", "monthly_spend"]) == (
        "monthly_spend",
        "satisfaction_score",
    )


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["tenure_months"], "cannot shift tenure_months: --drift-features takes monthly_spend"),
        (["nope", "monthly_spend"], "cannot shift nope"),
        ([], "needs at least one"),
    ],
)
def test_unknown_or_no_features_are_refused(names, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        shift.check_features(names)
