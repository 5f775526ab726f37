"""Rollout steps against a real MLflow registry (SQLite store, no server needed)."""

from __future__ import annotations

from pathlib import Path

import mlflow.artifacts
import pytest
from click.testing import CliRunner

from lab.artifacts import tree_sha256
from lab.cli import main
from lab.files import sha256_file
from lab.rollout import operations
from lab.training import TrainOptions, train
from tests.support import free_ports

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
    where = client.get_model_version_download_uri("rollout-it", "2")  # what the API downloads
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=where, dst_path=str(tmp_path)))
    assert digest == sha256_file(local / "model.skops")
    # ... and the digest over every file of the logged model (MLmodel included)
    tree = client.get_model_version("rollout-it", "2").tags["model_tree_sha256"]
    assert tree == tree_sha256(local)
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


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_rollout_commands_as_a_learner_types_them(settings_factory, monkeypatch):
    """`lab rollout start|promote|abort|rollback` on a real SQLite registry; no API and no
    Prometheus run, so each step says the API will pick the aliases up at its next poll."""
    api_port, prometheus_port = free_ports(2)
    env = {"MODEL_NAME": "rollout-cli", "MLFLOW_PORT": 9, "API_PORT": api_port,
           "PROMETHEUS_PORT": prometheus_port}  # fmt: skip
    settings = settings_factory(**env)
    for key, value in {**env, "LAB_HOME": settings.LAB_HOME, "ADMIN_TOKEN": "t"}.items():
        monkeypatch.setenv(key, str(value))
    train(TrainOptions(n_samples=300, model_version="v1"), settings)
    train(TrainOptions(n_samples=300, model_version="v2", promote=False), settings)

    def lab(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(main, ["rollout", *args], terminal_width=200)
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return _flat(result.output)

    started = lab("start", "2", "--share", "0.2")
    assert "champion v1 (v1), challenger v2 (v2)" in started
    assert f"the API at http://127.0.0.1:{api_port} did not answer" in started
    refused = lab("promote", code=1)  # no Prometheus: no analysis, no promotion
    assert f"Prometheus at http://127.0.0.1:{prometheus_port}" in refused
    assert "promoted: champion v2 (v2), challenger none" in lab("promote", "--force")
    assert "rolled back: champion v1 (v1), challenger none" in lab("rollback")
    lab("start", "2")
    assert "aborted: champion v1 (v1), challenger none" in lab("abort")
    assert "there is no challenger to abort" in lab("abort", code=1)
    assert "rollout-cli has no version 9" in lab("start", "9", code=1)
    assert "must be a registry version number, got 'v2'" in lab("start", "v2", code=1)
    assert lab("start", "2", "--share", "1.5", code=2)  # click refuses it: a usage error
    client = operations.client_for(settings)
    decisions = client.get_model_version("rollout-cli", "2").tags["rollout.decision"]
    assert decisions == "aborted: aborted by hand"
