"""The fast path for StandardScaler + LogisticRegression equals sklearn's predict_proba."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lab import data
from lab.serving.fastpath import LinearPipeline
from lab.serving.parsing import MAX_ABS_VALUE
from lab.training import pipeline

TOLERANCE = 1e-9


def fitted(c: float, seed: int, n: int):
    ds = data.generate(n, seed=seed)
    return pipeline.build(c, seed).fit(ds.X, ds.y)


models = st.builds(
    fitted,
    c=st.floats(1e-3, 1e3),
    seed=st.integers(0, 10_000),
    n=st.integers(60, 400),
)
finite = st.floats(-MAX_ABS_VALUE, MAX_ABS_VALUE, allow_nan=False, allow_infinity=False)
any_rows = arrays(
    np.float64, st.tuples(st.integers(1, 40), st.just(data.N_FEATURES)), elements=finite
)


@settings(max_examples=60, deadline=None)
@given(model=models, X=any_rows)
def test_fast_path_equals_sklearn_on_any_accepted_input(model, X) -> None:
    fast = LinearPipeline.from_model(model)
    assert fast is not None
    expected = model.predict_proba(X.copy())[:, 1]
    assert np.allclose(fast(X.copy()), expected, rtol=0, atol=TOLERANCE)


@settings(max_examples=60, deadline=None)
@given(model=models, seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300))
def test_fast_path_equals_sklearn_on_realistic_customers(model, seed, n) -> None:
    X = data.generate_features(n, seed)
    fast = LinearPipeline.from_model(model)
    assert np.allclose(fast(X), model.predict_proba(X)[:, 1], rtol=0, atol=TOLERANCE)
