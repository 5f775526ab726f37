"""Feature drift: reference statistics taken at training time and the population stability index.

The reference of a feature is a set of quantile bin edges over its training values and the
share of training rows in each bin. PSI compares the shares of a recent window of inputs with
those: 0 for the same distribution, growing as the distribution moves. Rule of thumb: < 0.1 no
drift, 0.1-0.25 moderate, > 0.25 drifted (`DRIFT_PSI_THRESHOLD`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

BINS = 10
EPSILON = 1e-4  # floor for empty bins so the logarithm stays finite
DRIFTED_PSI = 0.25


def _shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    # Interior edges only: the outer bins reach to -inf/+inf, so no value is ever lost.
    idx = np.searchsorted(edges[1:-1], values, side="right")
    counts = np.bincount(idx, minlength=len(edges) - 1).astype(float)
    return counts / max(len(values), 1)


def feature_reference(values: Sequence[float] | np.ndarray, bins: int = BINS) -> dict[str, list]:
    """Quantile bin edges of one feature's training values and the training shares per bin."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        raise ValueError("a reference needs at least one value")
    edges = np.unique(np.quantile(v, np.linspace(0.0, 1.0, bins + 1)))
    if len(edges) < 2:  # a constant feature: one bin around the value
        edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
    return {"edges": edges.tolist(), "shares": _shares(v, edges).tolist()}


def reference(X: np.ndarray, names: Sequence[str], bins: int = BINS) -> dict[str, dict[str, list]]:
    """Reference statistics of every feature (the columns of X, named by `names`)."""
    X = np.asarray(X, dtype=np.float64)
    return {name: feature_reference(X[:, i], bins) for i, name in enumerate(names)}


def psi(ref: Mapping[str, Any], values: Sequence[float] | np.ndarray) -> float:
    """Population stability index of `values` against one feature's reference."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return 0.0
    edges = np.asarray(ref["edges"], dtype=np.float64)
    expected = np.clip(np.asarray(ref["shares"], dtype=np.float64), EPSILON, None)
    actual = np.clip(_shares(v, edges), EPSILON, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def psi_all(
    references: Mapping[str, Mapping[str, Any]], X: np.ndarray, names: Sequence[str]
) -> dict[str, float]:
    X = np.asarray(X, dtype=np.float64)
    return {name: psi(references[name], X[:, i]) for i, name in enumerate(names)}


def drifted_share(psis: Mapping[str, float], threshold: float = DRIFTED_PSI) -> float:
    """Share of features whose PSI is above `threshold`."""
    if not psis:
        return 0.0
    return sum(value > threshold for value in psis.values()) / len(psis)
