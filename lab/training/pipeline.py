"""The model: StandardScaler + LogisticRegression, and how it is scored."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

METRICS = ("accuracy", "f1", "roc_auc", "log_loss")


def build(c: float, seed: int) -> Pipeline:
    if not c > 0:
        raise ValueError("C must be > 0")
    return Pipeline(
        [
            ("scaler", StandardScaler()),
            ("clf", LogisticRegression(C=c, max_iter=1000, random_state=seed)),
        ]
    )


def evaluate(model: Pipeline, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """accuracy, F1, ROC AUC and log loss of `model` on (X, y)."""
    proba = model.predict_proba(X)[:, 1]
    pred = (proba >= 0.5).astype(int)
    both_classes = len(np.unique(y)) == 2
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "roc_auc": float(roc_auc_score(y, proba)) if both_classes else 0.5,
        "log_loss": float(log_loss(y, proba, labels=[0, 1])),
    }


def score(metrics: dict[str, float], primary: str) -> float:
    """The primary metric as "higher is better" (`neg_log_loss` is minus the log loss)."""
    if primary == "neg_log_loss":
        return -metrics["log_loss"]
    return metrics[primary]
