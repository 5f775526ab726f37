"""Rollout steps against a real MLflow registry (SQLite store, no server needed)."""

from __future__ import annotations

from pathlib import Path

import mlflow.artifacts
import pytest

from lab.files import sha256_file
from lab.rollout import operations
from lab.training import TrainOptions, train

pytestmark = pytest.mark.integration


def test_start_promote_rollback_abort(settings_factory, tmp_path):
    # no server on the default port in tests: train goes straight into LAB_HOME's SQLite
    settings = settings_factory(MODEL_NAME="rollout-it", MLFLOW_PORT=9)
    train(TrainOptions(n_samples=300, model_version="v1"), settings)
    train(TrainOptions(n_samples=300, model_version="v2", alias="challenger"), settings)
    client = operations.client_for(settings)

    pair = operations.current_pair(client, "rollout-it")
    assert (pair.champion_version, pair.challenger_version) == ("1", "2")
    # the SHA-256 of the model file as the artifact store holds it, for the API to verify
    digest = client.get_model_version("rollout-it", "2").tags["model_sha256"]
    local = Path(
        mlflow.artifacts.download_artifacts("models:/rollout-it/2", dst_path=str(tmp_path))
    )
    assert digest == sha256_file(local / "model.skops")
    assert pair.challenger_label == "v2"

    with pytest.raises(operations.RolloutError, match="already the champion"):
        operations.start(client, "rollout-it", "1")
    with pytest.raises(operations.RolloutError, match="no version 7"):
        operations.start(client, "rollout-it", "7")

    pair = operations.promote(client, "rollout-it", "test")
    assert (pair.champion_version, pair.challenger_version) == ("2", None)
    tags = client.get_model_version("rollout-it", "2").tags
    assert tags["rollout.decision"].startswith("promoted")

    pair = operations.rollback(client, "rollout-it")
    assert pair.champion_version == "1"

    pair = operations.start(client, "rollout-it", "2")
    assert pair.challenger_version == "2"
    pair = operations.abort(client, "rollout-it", "too slow")
    assert pair.challenger_version is None and pair.champion_version == "1"
    assert "too slow" in client.get_model_version("rollout-it", "2").tags["rollout.decision"]
    with pytest.raises(operations.RolloutError, match="no challenger"):
        operations.promote(client, "rollout-it", "x")
