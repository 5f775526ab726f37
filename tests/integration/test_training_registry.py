"""`lab train` against a real MLflow server and, with the server down, straight into SQLite."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import httpx
import pytest

from tests.support import free_port, lab_env, lab_process

pytestmark = pytest.mark.integration

SEED_LINE = ["--n_samples", "1000", "--c_param", "0.1", "--model_version", "v1.2.0-stable"]
WORSE = ["--c", "0.00001", "--n-samples", "50", "--model-version", "v0.0.1-worse"]


def _train(env: dict, args: list[str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "lab", "train", *args],
        env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def _get(base: str, path: str, **params) -> dict:
    response = httpx.get(f"{base}/api/2.0/mlflow/{path}", params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_train_offline_then_through_the_server(tmp_path):
    home = tmp_path / "home"
    port = free_port()
    env = lab_env(home, MLFLOW_PORT=port, MODEL_NAME="churn-it")

    # 1. server down: straight into the same SQLite file, with a one-line notice
    out = _train(env, SEED_LINE)
    assert "is not running" in out
    manifest = json.loads((home / "models" / "sample_model.json").read_text(encoding="utf-8"))
    model_bytes = (home / "models" / "sample_model.joblib").read_bytes()
    assert manifest["sha256"] == hashlib.sha256(model_bytes).hexdigest()
    assert manifest["label"] == "v1.2.0-stable" and manifest["registry_version"] == "1"
    assert manifest["feature_names"][0] == "tenure_months" and manifest["champion"] is True
    reference = manifest["drift_reference"]["tenure_months"]
    assert len(reference["edges"]) == len(reference["shares"]) + 1
    assert list((home / "mlflow" / "artifacts").rglob("drift_reference.json"))

    with lab_process(["mlflow"], env, home / "mlflow.log") as server:
        base = f"http://127.0.0.1:{port}"
        server.wait_healthy(f"{base}/health", timeout=90)

        # 2. a worse model through the server: version 2, champion stays on version 1
        out = _train(env, WORSE)
        assert "kept the champion" in out
        assert f"{base}/#/experiments/" in out

        v1 = _get(base, "model-versions/get", name="churn-it", version="1")["model_version"]
        v2 = _get(base, "model-versions/get", name="churn-it", version="2")["model_version"]
        tags1 = {t["key"]: t["value"] for t in v1.get("tags", [])}
        tags2 = {t["key"]: t["value"] for t in v2.get("tags", [])}
        assert tags1["version_label"] == "v1.2.0-stable"
        assert tags2["version_label"] == "v0.0.1-worse"
        champion = _get(base, "registered-models/alias", name="churn-it", alias="champion")
        assert champion["model_version"]["version"] == "1"

        # the UI's store shows the runs of both paths
        experiment = _get(base, "experiments/get-by-name", experiment_name="mlops-lab")
        runs = httpx.post(
            f"{base}/api/2.0/mlflow/runs/search",
            json={"experiment_ids": [experiment["experiment"]["experiment_id"]]},
            timeout=10,
        ).json()["runs"]
        names = {r["info"]["run_name"] for r in runs}
        assert names == {"v1.2.0-stable", "v0.0.1-worse"}

        # the model file still mirrors the champion, the worse one sits under versions/2
        assert (home / "models" / "sample_model.joblib").read_bytes() == model_bytes
        assert (home / "models" / "versions" / "2" / "sample_model.joblib").is_file()

        # a better-or-equal model takes the alias
        out = _train(env, [*SEED_LINE[:4], "--model-version", "v1.3.0"])
        assert "promoted" in out
        champion = _get(base, "registered-models/alias", name="churn-it", alias="champion")
        assert champion["model_version"]["version"] == "3"
