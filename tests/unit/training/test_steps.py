"""The steps of `lab train` on their own: fit and evaluate, log and register (against a real
MLflow SQLite store), the manifest and the install."""

from __future__ import annotations

import pytest

from lab import data
from lab.files import sha256_file
from lab.training import mlflow_registry, model_io, steps
from lab.training.manifest import read_manifest


@pytest.fixture(scope="module")
def fitted() -> steps.Fitted:
    return steps.fit_and_evaluate(200, 1.0, 7, 0.2, "roc_auc")


def _manifest(settings, fitted, version: str, champion: bool):
    logged = steps.Logged("run-1", "models:/m/1", "m-1", {"tenure_months": {}})
    return steps.manifest_for(
        settings, fitted, logged, version, f"v-{version}", {"C": 1.0}, "sqlite://", champion
    )


def test_fit_and_evaluate_scores_on_the_evaluation_set(fitted) -> None:
    assert fitted.candidate_score == fitted.eval_metrics["roc_auc"]
    assert set(fitted.metrics) == set(fitted.eval_metrics)
    assert len(fitted.X_train) == 160  # 200 samples less the 20 % test split


def test_fit_and_evaluate_reports_its_steps_in_order() -> None:
    seen: list[str] = []
    steps.fit_and_evaluate(50, 1.0, 3, 0.2, "f1", seen.append)
    assert seen == ["generating data", "fitting StandardScaler + LogisticRegression", "evaluating"]


def test_the_manifest_carries_the_run_and_leaves_the_digest_to_install(settings, fitted) -> None:
    manifest = _manifest(settings, fitted, "4", True)
    assert (manifest.registry_version, manifest.run_id, manifest.label) == ("4", "run-1", "v-4")
    assert manifest.champion and manifest.sha256 == "" and manifest.params == {"C": 1.0}
    assert manifest.drift_reference == {"tenure_months": {}}


def test_install_writes_the_version_and_mirrors_only_a_champion(settings_factory, fitted) -> None:
    settings = settings_factory()
    first = steps.install(settings, fitted.model, _manifest(settings, fitted, "1", False))
    assert first.installed  # no model file yet: the first version becomes the fallback
    second = steps.install(settings, fitted.model, _manifest(settings, fitted, "2", False))
    assert not second.installed and second.model_path.parent.name == "2"
    assert sha256_file(second.model_path) == second.manifest.sha256
    assert read_manifest(settings.manifest_path).registry_version == "1"
    third = steps.install(settings, fitted.model, _manifest(settings, fitted, "3", True))
    assert third.installed and read_manifest(settings.manifest_path).registry_version == "3"
    assert sha256_file(settings.model_path) == third.manifest.sha256
    assert sha256_file(settings.skops_model_path) == third.manifest.skops_sha256 != ""
    assert sha256_file(second.model_path.with_suffix(".skops")) == second.manifest.skops_sha256


def test_log_and_register_tag_the_version_with_its_digests(settings, fitted, tmp_path) -> None:
    uri = "sqlite:///" + (tmp_path / "mlflow.db").as_posix()
    tracking = mlflow_registry.Tracking(uri=uri, via_server=False, ui_url=None)
    client = mlflow_registry.configure(tracking)
    experiment_id = mlflow_registry.ensure_experiment(client, settings)
    logged = steps.log_run(fitted, experiment_id, "v-it", {"C": 1.0}, "promoted: test")
    assert client.get_run(logged.run_id).data.tags["mlops_lab.decision"] == "promoted: test"
    assert set(logged.drift_reference) == set(data.FEATURE_NAMES)

    first = steps.register(client, settings, logged, "v-it", 0.875, "champion")
    second = steps.register(client, settings, logged, "v-it", 0.5, None)
    assert (first, second) == ("1", "2")
    version = client.get_model_version(settings.MODEL_NAME, first)
    assert version.tags[f"eval_{settings.PRIMARY_METRIC}"] == "0.875000"
    assert version.tags[mlflow_registry.LABEL_TAG] == "v-it"
    loaded = model_io.download_and_load(
        client.get_model_version_download_uri(settings.MODEL_NAME, first),
        uri,
        version.tags[model_io.TREE_TAG],
        what="version 1",
    )
    assert loaded.model is not None
    champion = client.get_model_version_by_alias(settings.MODEL_NAME, "champion")
    assert str(champion.version) == "1"  # None moved no alias
