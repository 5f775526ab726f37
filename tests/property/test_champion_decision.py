"""Which model takes the champion alias: hand-made cases, then properties that do not restate
the rule (a worse model never wins, a better one always does, the decision is monotone)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lab.training.service import _decide

scores = st.floats(min_value=-10, max_value=1, allow_nan=False)
gaps = st.floats(min_value=1e-6, max_value=5)


@pytest.mark.parametrize(
    ("promote", "candidate", "current", "promoted", "reason"),
    [
        (None, 0.91, 0.90, True, "promoted: accuracy 0.9100 >= champion's 0.9000"),
        (None, 0.90, 0.90, True, "promoted: accuracy 0.9000 >= champion's 0.9000"),  # a tie
        (None, 0.89, 0.90, False, "kept the champion: accuracy 0.8900 < champion's 0.9000"),
        (None, -0.52, None, True, "promoted: there was no champion yet"),
        (True, 0.10, 0.90, True, "promoted (forced with --promote)"),
        (False, 0.99, 0.10, False, "not promoted (--no-promote)"),
    ],
)
def test_by_hand(promote, candidate, current, promoted, reason):
    assert _decide(promote, candidate, current, "accuracy") == (promoted, reason)


@given(current=scores, gap=gaps)
def test_a_worse_model_never_takes_the_alias_and_a_better_one_always_does(current, gap):
    assume(current - gap < current < current + gap)  # the gap survives float rounding
    assert _decide(None, current - gap, current, "f1")[0] is False
    assert _decide(None, current + gap, current, "f1")[0] is True


@given(candidate=scores, current=scores, gap=gaps)
def test_a_higher_score_never_loses_what_a_lower_one_won(candidate, current, gap):
    if _decide(None, candidate, current, "f1")[0]:
        assert _decide(None, candidate + gap, current, "f1")[0] is True
    else:
        assert _decide(None, candidate - gap, current, "f1")[0] is False


@given(candidate=scores, current=scores)
def test_the_reason_names_the_metric_and_both_scores(candidate, current):
    _, reason = _decide(None, candidate, current, "roc_auc")
    assert "roc_auc" in reason
    assert f"{candidate:.4f}" in reason and f"{current:.4f}" in reason


@given(candidate=scores, current=st.none() | scores)
def test_the_flags_override_the_metric(candidate, current):
    assert _decide(True, candidate, current, "f1")[0] is True
    assert _decide(False, candidate, current, "f1")[0] is False
