from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lab import data
from lab.training import pipeline

seeds = st.integers(min_value=0, max_value=2**32 - 1)


@given(n=st.integers(min_value=0, max_value=300), seed=seeds)
def test_generation_is_deterministic_with_the_right_shapes(n, seed):
    a, b = data.generate(n, seed), data.generate(n, seed)
    assert a.X.shape == (n, data.N_FEATURES) and a.y.shape == (n,)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert np.isfinite(a.X).all()
    assert set(np.unique(a.y)) <= {0, 1}


@given(seed=seeds)
def test_rule_probabilities_are_probabilities(seed):
    p = data.churn_probability(data.generate_features(50, seed))
    assert ((p > 0) & (p < 1)).all()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(min_value=40, max_value=400), seed=seeds, c=st.floats(1e-4, 100))
def test_metrics_are_in_range(n, seed, c):
    ds = data.generate(n, seed)
    assume(len(np.unique(ds.y)) == 2)  # a one-class sample cannot be fitted
    model = pipeline.build(c, seed).fit(ds.X, ds.y)
    metrics = pipeline.evaluate(model, ds.X, ds.y)
    for name in ("accuracy", "f1", "roc_auc"):
        assert 0.0 <= metrics[name] <= 1.0
    assert metrics["log_loss"] >= 0.0
    assert pipeline.score(metrics, "neg_log_loss") == -metrics["log_loss"]
