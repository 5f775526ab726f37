"""Which predictor a model gets, and the checks a model must pass before it may serve."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from lab import data
from lab.serving.fastpath import LinearPipeline, SklearnPredictor, predictor_for
from lab.serving.loading import ModelLoadError, checked_predictor

DS = data.generate(300, seed=1)


def test_the_lab_pipeline_gets_the_fast_path() -> None:
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(DS.X, DS.y)
    assert isinstance(predictor_for(model), LinearPipeline)


@pytest.mark.parametrize(
    "model",
    [
        make_pipeline(MinMaxScaler(), LogisticRegression()),
        make_pipeline(StandardScaler(with_mean=False), LogisticRegression()),
        LogisticRegression(max_iter=1000),  # unscaled: the default 100 steps do not converge
        RandomForestClassifier(n_estimators=5, random_state=0),
    ],
    ids=["other scaler", "no centring", "bare classifier", "forest"],
)
def test_other_models_use_sklearn_and_agree_with_it(model) -> None:
    model.fit(DS.X, DS.y)
    predictor = checked_predictor(model)
    assert isinstance(predictor, SklearnPredictor)
    assert np.array_equal(predictor(DS.X[:7]), model.predict_proba(DS.X[:7])[:, 1])


def test_a_model_with_the_wrong_width_is_refused() -> None:
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(DS.X[:, :4], DS.y)
    with pytest.raises(ModelLoadError, match="expects 4 features"):
        checked_predictor(model)


def test_a_model_with_other_classes_is_refused() -> None:
    model = LogisticRegression(max_iter=1000).fit(DS.X, DS.y + 5)
    with pytest.raises(ModelLoadError, match="classes"):
        checked_predictor(model)


def test_an_object_without_predict_proba_is_refused() -> None:
    with pytest.raises(ModelLoadError, match="no predict_proba"):
        checked_predictor({"not": "a model"})


def _fitted(**patch) -> object:
    """The lab's pipeline, fitted, with `predict_proba` replaced on this one instance."""
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(DS.X, DS.y)
    real = model.predict_proba
    for name, make in patch.items():
        setattr(model, name, make(real))
    return model


def _raise(real):
    def predict_proba(X):
        raise ValueError("could not convert string to float: 'n/a'")

    return predict_proba


@pytest.mark.parametrize(
    ("replacement", "refusal"),
    [
        (_raise, "the model fails on sample rows: could not convert string to float: 'n/a'"),
        (lambda real: lambda X: real(X)[:, 1], r"answers shape \(16,\), expected \(n, 2\) finite"),
        (lambda real: lambda X: real(X)[:3], r"answers shape \(3, 2\), expected \(n, 2\) finite"),
        (
            lambda real: lambda X: np.hstack([real(X), real(X)[:, :1]]),
            r"answers shape \(16, 3\)",
        ),
        (lambda real: lambda X: np.where(X[:, :2] > -1e9, np.nan, 0.0), "finite"),
        (lambda real: lambda X: real(X) * np.inf, "finite"),
        (lambda real: lambda X: real(X)[:, ::-1], "the fast path disagrees with predict_proba"),
    ],
    ids=["raises", "one column", "too few rows", "three columns", "nan", "inf", "disagrees"],
)
def test_a_model_failing_the_probe_rows_is_refused(replacement, refusal) -> None:
    with pytest.raises(ModelLoadError, match=refusal):
        checked_predictor(_fitted(predict_proba=replacement))


def test_the_unpatched_pipeline_passes_the_probe() -> None:
    assert isinstance(checked_predictor(_fitted()), LinearPipeline)
