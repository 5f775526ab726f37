"""Synthetic customer-churn data with a known generating rule.

Ten named, realistic features; churn is drawn from a logistic rule over them, so a model's
accuracy can be compared with the rule's own (the Bayes ceiling). Everything is deterministic
for a given seed. The CRM is seeded from the same module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FEATURE_NAMES: tuple[str, ...] = (
    "tenure_months",
    "monthly_spend",
    "support_tickets",
    "logins_per_month",
    "days_since_last_login",
    "contract_months",
    "payment_failures",
    "num_products",
    "avg_session_minutes",
    "satisfaction_score",
)
N_FEATURES = len(FEATURE_NAMES)

#: Seed of the fixed evaluation set every model is compared on (independent of training options).
EVAL_SEED = 20_240_601
EVAL_ROWS = 2_000

# The generating rule: logit = INTERCEPT + sum(WEIGHTS[f] * (x_f - CENTER[f]) / SCALE[f]).
_CENTER = np.array([30.0, 70.0, 2.0, 12.0, 14.0, 10.0, 0.5, 2.0, 20.0, 3.5])
_SCALE = np.array([20.0, 30.0, 2.0, 8.0, 12.0, 9.0, 1.0, 1.0, 10.0, 1.0])
_WEIGHTS = np.array([-1.1, 0.5, 0.9, -0.8, 0.9, -0.7, 0.8, -0.4, -0.3, -0.9])
_INTERCEPT = -0.6


@dataclass(frozen=True)
class Dataset:
    X: np.ndarray  # shape (n, 10), float64, columns in FEATURE_NAMES order
    y: np.ndarray  # shape (n,), int64, 1 = churned

    def __len__(self) -> int:
        return len(self.y)


def generate_features(n: int, seed: int) -> np.ndarray:
    """`n` customers' features, drawn from realistic marginal distributions."""
    if n < 0:
        raise ValueError("n must be >= 0")
    rng = np.random.default_rng(seed)
    contract = rng.choice([1.0, 12.0, 24.0], size=n, p=[0.5, 0.3, 0.2])
    tenure = np.minimum(rng.gamma(2.0, 15.0, n), 72.0)
    X = np.column_stack(
        [
            np.round(tenure),
            np.round(rng.normal(70.0, 30.0, n).clip(10.0, 200.0), 2),
            rng.poisson(2.0, n).astype(float),
            rng.poisson(12.0, n).astype(float),
            np.round(rng.exponential(14.0, n).clip(0.0, 120.0)),
            contract,
            rng.poisson(0.5, n).astype(float),
            rng.integers(1, 5, n).astype(float),
            np.round(rng.gamma(4.0, 5.0, n), 1),
            rng.integers(1, 6, n).astype(float),
        ]
    )
    return X.astype(np.float64)


def churn_probability(X: np.ndarray) -> np.ndarray:
    """The true churn probability of each row under the generating rule."""
    z = _INTERCEPT + ((np.asarray(X, dtype=np.float64) - _CENTER) / _SCALE) @ _WEIGHTS
    return 1.0 / (1.0 + np.exp(-z))


def generate(n: int, seed: int = 42) -> Dataset:
    """A deterministic data set of `n` rows: features plus labels drawn from the rule."""
    X = generate_features(n, seed)
    label_rng = np.random.default_rng([seed, 1])
    y = (label_rng.random(n) < churn_probability(X)).astype(np.int64)
    return Dataset(X=X, y=y)


def evaluation_set() -> Dataset:
    """The fixed rows every candidate and the current champion are scored on."""
    return generate(EVAL_ROWS, seed=EVAL_SEED)


def as_records(X: np.ndarray) -> list[dict[str, float]]:
    """Rows as `{feature_name: value}` dicts, in the model's feature order."""
    return [dict(zip(FEATURE_NAMES, map(float, row), strict=True)) for row in np.asarray(X)]
