"""Training, evaluation, model files and the MLflow registry.

`TrainOptions`, `TrainResult` and `train` are imported on first use: the API imports
`lab.training.manifest` only, and must not pay for scikit-learn and pandas (memory, start-up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lab.training.service import TrainOptions, TrainResult, train

__all__ = ["TrainOptions", "TrainResult", "train"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from lab.training import service

        return getattr(service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
