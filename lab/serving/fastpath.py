"""Churn probabilities without sklearn's per-call overhead.

sklearn's `predict_proba` on one row costs ~150 µs, almost all of it input validation and
dispatch; the arithmetic of StandardScaler + binary LogisticRegression is ~1 µs. Inputs reaching
the model here are already validated (a float64 matrix of finite, bounded values with the right
width), so:

- `LinearPipeline` recognises exactly the lab's fitted pipeline and repeats sklearn's arithmetic
  in the same order: `(X - mean_) / scale_`, then `@ coef_.T + intercept_`, then the logistic
  function. `tests/property/serving/test_fastpath.py` proves it equal to sklearn (within 1e-9).
- `SklearnPredictor` serves any other estimator with a `predict_proba`, with sklearn's own
  validation switched off (`assume_finite`, `skip_parameter_validation`).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from scipy.special import expit


class Predictor(Protocol):
    kind: str

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """Churn probability (class 1) of each row of the float64 matrix `X`, shape (n,)."""


class LinearPipeline:
    """StandardScaler + binary LogisticRegression, as plain numpy."""

    kind = "fast-linear"

    def __init__(self, mean: np.ndarray, scale: np.ndarray, coef: np.ndarray, intercept: float):
        self._mean = np.ascontiguousarray(mean, dtype=np.float64)
        self._scale = np.ascontiguousarray(scale, dtype=np.float64)
        self._coef = np.ascontiguousarray(coef, dtype=np.float64).reshape(-1, 1)
        self._intercept = np.float64(intercept)

    @classmethod
    def from_model(cls, model: Any) -> LinearPipeline | None:
        """The fast path for `model`, or None when it is not exactly the supported pipeline."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        if type(model) is not Pipeline or len(model.steps) != 2:
            return None
        scaler, clf = model.steps[0][1], model.steps[1][1]
        if type(scaler) is not StandardScaler or type(clf) is not LogisticRegression:
            return None
        if not (scaler.with_mean and scaler.with_std) or scaler.scale_ is None:
            return None
        classes = getattr(clf, "classes_", None)
        if classes is None or list(classes) != [0, 1] or clf.coef_.shape[0] != 1:
            return None
        if scaler.mean_.shape != clf.coef_[0].shape:
            return None
        return cls(scaler.mean_, scaler.scale_, clf.coef_[0], float(clf.intercept_[0]))

    def __call__(self, X: np.ndarray) -> np.ndarray:
        scaled = (X - self._mean) / self._scale
        scores = scaled @ self._coef
        scores += self._intercept
        return expit(scores.reshape(-1))


class SklearnPredictor:
    """Any fitted classifier with `predict_proba`, minus sklearn's repeated input checks."""

    kind = "sklearn"

    def __init__(self, model: Any):
        self._model = model
        self._column = list(getattr(model, "classes_", [0, 1])).index(1)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        import sklearn

        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            return np.asarray(self._model.predict_proba(X), dtype=np.float64)[:, self._column]


def predictor_for(model: Any) -> Predictor:
    """The fastest predictor proven equal to `model.predict_proba` for this kind of model."""
    return LinearPipeline.from_model(model) or SklearnPredictor(model)
