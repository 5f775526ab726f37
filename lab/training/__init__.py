"""Training, evaluation, model files and the MLflow registry."""

from lab.training.service import TrainOptions, TrainResult, train

__all__ = ["TrainOptions", "TrainResult", "train"]
