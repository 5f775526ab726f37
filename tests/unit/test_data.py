from __future__ import annotations

import numpy as np

from lab import data


def test_ten_named_features():
    assert len(data.FEATURE_NAMES) == data.N_FEATURES == 10
    assert len(set(data.FEATURE_NAMES)) == 10
    assert "tenure_months" in data.FEATURE_NAMES


def test_the_rule_is_learnable_but_not_trivial():
    ds = data.generate(20_000, seed=3)
    bayes_accuracy = ((data.churn_probability(ds.X) >= 0.5) == ds.y).mean()
    assert 0.7 < bayes_accuracy < 0.95
    assert 0.3 < ds.y.mean() < 0.7


def test_evaluation_set_is_fixed_and_independent_of_training_seeds():
    a, b = data.evaluation_set(), data.evaluation_set()
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.X[:50], data.generate(50, seed=42).X)


def test_records_name_every_feature_in_order():
    rows = data.as_records(data.generate_features(3, seed=1))
    assert list(rows[0]) == list(data.FEATURE_NAMES)
