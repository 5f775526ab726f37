"""M3's public tests: one training run is tracked, registered and written (see tasks/M3.md).

Training runs once, in a fresh process, against an MLflow store in a temporary folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.public.conftest import ROOT

pytestmark = pytest.mark.M3
LABEL = "v9.9.9-public"


@dataclass(frozen=True)
class Trained:
    home: Path
    tracking_uri: str
    output: str


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    home = tmp_path_factory.mktemp("m3")
    uri = (home / "mlruns").as_uri()
    env = {**os.environ, "LAB_HOME": str(home), "MLFLOW_TRACKING_URI": uri,
           "MLFLOW_ALLOW_FILE_STORE": "true", "MODEL_NAME": "churn-public-test"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "training.train", "--n_samples", "300", "--c_param", "0.5",
         "--model_version", LABEL],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return Trained(home, uri, done.stdout + done.stderr)


def _client(trained: Trained):  # -> MlflowClient
    from mlflow import MlflowClient

    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # the temporary store is a folder
    return MlflowClient(tracking_uri=trained.tracking_uri, registry_uri=trained.tracking_uri)


def test_the_model_file_matches_its_manifest(trained: Trained) -> None:
    models = trained.home / "models"
    manifest_path = models / "sample_model.json"
    assert manifest_path.is_file(), f"no manifest written; training said: {trained.output[-300:]}"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    model_file = models / manifest.get("file", "sample_model.joblib")
    assert hashlib.sha256(model_file.read_bytes()).hexdigest() == manifest.get("sha256")
    assert manifest.get("label") == LABEL


def test_the_run_logged_its_parameters_and_accuracy(trained: Trained) -> None:
    client = _client(trained)
    experiment = client.get_experiment_by_name("churn-training")
    assert experiment is not None, "no MLflow experiment churn-training"
    runs = client.search_runs([experiment.experiment_id])
    assert runs, "no MLflow run was logged"
    run = runs[0]
    for name in ("n_samples", "C", "model_version"):
        assert name in run.data.params, f"the run did not log the parameter {name}"
    assert run.data.params["model_version"] == LABEL
    assert "accuracy" in run.data.metrics


def test_the_model_is_registered_with_its_label_as_champion(trained: Trained) -> None:
    client = _client(trained)
    version = client.get_model_version_by_alias("churn-public-test", "champion")
    assert version.tags.get("version_label") == LABEL
