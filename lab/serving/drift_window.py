"""The recent inputs of one model version (a bounded ring buffer) and its training reference.

Every row a model scores is copied into its window (`LoadedModel.predict_proba`), on the event
loop, in O(rows) without allocating: the cost on the hot path is one row copy. PSI is computed
from the window elsewhere (`lab.serving.drift_metrics`), off the request path.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from lab.data import FEATURE_NAMES, N_FEATURES

log = logging.getLogger("lab.serving.drift")


class DriftWindow:
    """The last `size` rows added (older rows are overwritten); `seen` counts every row added."""

    __slots__ = ("_buffer", "_next", "seen", "size")

    def __init__(self, size: int, width: int = N_FEATURES):
        if size < 1:
            raise ValueError("a drift window holds at least one row")
        self.size = size
        self._buffer = np.zeros((size, width), dtype=np.float64)
        self._next = 0
        self.seen = 0

    def add(self, X: np.ndarray) -> None:
        """Keep the rows of `X` (float64, shape (n, width))."""
        n = len(X)
        size, start = self.size, self._next
        self.seen += n
        if n >= size:
            self._buffer[:] = X[n - size :]
            self._next = 0
            return
        if n == 1:
            self._buffer[start] = X[0]
        else:
            end = start + n
            if end <= size:
                self._buffer[start:end] = X
            else:
                first = size - start
                self._buffer[start:] = X[:first]
                self._buffer[: n - first] = X[first:]
        self._next = (start + n) % size

    def rows(self) -> np.ndarray:
        """A copy of the rows held now (in no particular order: PSI does not need one)."""
        return self._buffer[: min(self.seen, self.size)].copy()


def checked_reference(reference: Any, where: str) -> dict[str, Any] | None:
    """`reference` when it has bin edges and shares for every feature, else None (logged)."""
    if not reference:
        log.warning("%s has no drift reference: drift is not measured", where)
        return None
    problem = _problem(reference)
    if problem:
        log.warning(
            "the drift reference of %s is unusable (%s): drift is not measured", where, problem
        )
        return None
    return {name: reference[name] for name in FEATURE_NAMES}


def _problem(reference: Any) -> str | None:
    if not isinstance(reference, Mapping):
        return f"expected an object keyed by feature name, got {type(reference).__name__}"
    for name in FEATURE_NAMES:
        bins = reference.get(name)
        if not isinstance(bins, Mapping):
            return f"no statistics for feature {name}"
        try:
            edges = np.asarray(bins["edges"], dtype=np.float64)
            shares = np.asarray(bins["shares"], dtype=np.float64)
        except (KeyError, TypeError, ValueError):
            return f"{name}: needs numeric `edges` and `shares`"
        if edges.ndim != 1 or len(edges) < 2 or shares.shape != (len(edges) - 1,):
            return f"{name}: needs n + 1 edges for n shares"
        if not (np.all(np.isfinite(edges)) and np.all(np.diff(edges) > 0)):
            return f"{name}: edges must be finite and increasing"
    return None
