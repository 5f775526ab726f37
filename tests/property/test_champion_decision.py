from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lab.training.service import _decide

scores = st.floats(min_value=-10, max_value=1, allow_nan=False)


@given(candidate=scores, current=scores)
def test_a_worse_model_never_takes_the_alias(candidate, current):
    promoted, reason = _decide(None, candidate, current, "accuracy")
    assert promoted == (candidate >= current)
    assert f"{candidate:.4f}" in reason


@given(candidate=scores, current=st.none() | scores)
def test_the_flags_override_the_metric(candidate, current):
    assert _decide(True, candidate, current, "f1")[0] is True
    assert _decide(False, candidate, current, "f1")[0] is False


@given(candidate=scores)
def test_the_first_model_becomes_champion(candidate):
    assert _decide(None, candidate, None, "accuracy")[0] is True
