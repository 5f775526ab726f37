"""The steps of `lab train` on their own: fit and evaluate, and install (no MLflow needed)."""

from __future__ import annotations

import pytest

from lab.files import sha256_file
from lab.training import steps
from lab.training.manifest import read_manifest


@pytest.fixture(scope="module")
def fitted() -> steps.Fitted:
    return steps.fit_and_evaluate(200, 1.0, 7, 0.2, "roc_auc")


def _manifest(settings, fitted, version: str, champion: bool):
    logged = steps.Logged("run-1", "models:/m/1", None, {})
    return steps.manifest_for(
        settings, fitted, logged, version, f"v-{version}", {}, "sqlite://", champion
    )


def test_fit_and_evaluate_scores_on_the_evaluation_set(fitted) -> None:
    assert fitted.candidate_score == fitted.eval_metrics["roc_auc"]
    assert set(fitted.metrics) == set(fitted.eval_metrics)


def test_install_writes_the_version_and_mirrors_only_a_champion(settings_factory, fitted) -> None:
    settings = settings_factory()
    first = steps.install(settings, fitted.model, _manifest(settings, fitted, "1", False))
    assert first.installed  # no model file yet: the first version becomes the fallback
    second = steps.install(settings, fitted.model, _manifest(settings, fitted, "2", False))
    assert not second.installed and second.model_path.parent.name == "2"
    assert read_manifest(settings.manifest_path).registry_version == "1"
    third = steps.install(settings, fitted.model, _manifest(settings, fitted, "3", True))
    assert third.installed and read_manifest(settings.manifest_path).registry_version == "3"
    assert sha256_file(settings.model_path) == third.manifest.sha256
