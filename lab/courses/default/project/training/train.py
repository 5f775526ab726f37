"""M3: train the churn model, track it in MLflow, register it and write the model file.

python -m training.train --n_samples 1000 --c_param 1.0 --model_version v1.2.0-stable
"""

from __future__ import annotations

import argparse
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

from app.config import environment
from app.model import FEATURE_NAMES

FEATURES = list(FEATURE_NAMES)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = environment()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n_samples", type=int, default=1000, help="rows of training data")
    parser.add_argument("--c_param", type=float, default=1.0, help="inverse regularisation C")
    parser.add_argument("--model_version", default=env.get("MODEL_VERSION", "v1.0.0"))
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.n_samples < 20 or args.c_param <= 0:
        parser.error("--n_samples must be at least 20 and --c_param above 0")
    return args


def fit(n_samples: int, c: float, seed: int) -> tuple[LogisticRegression, float]:
    """A logistic regression on synthetic churn data, and its accuracy on held-out rows."""
    X, y = make_classification(n_samples, n_features=len(FEATURES), random_state=seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=seed)
    model = LogisticRegression(C=c, max_iter=1000).fit(X_train, y_train)
    return model, float(accuracy_score(y_test, model.predict(X_test)))


def tracking_setup() -> str:
    """Point MLflow at the lab's tracking server (MLFLOW_TRACKING_URI wins); the model's name."""
    env = environment()
    host, port = env.get("MLFLOW_HOST", "127.0.0.1"), env.get("MLFLOW_PORT", "5001")
    mlflow.set_tracking_uri(env.get("MLFLOW_TRACKING_URI") or f"http://{host}:{port}")
    mlflow.set_experiment("churn-training")
    return env.get("MODEL_NAME", "churn-model")


def log_run(model: Any, params: dict[str, Any], accuracy: float, label: str) -> tuple[str, str]:
    """One MLflow run with the parameters, the accuracy and the model; (model URI, run id)."""
    # BEGIN SOLUTION M3.mlflow_run: log the parameters (n_samples, C, model_version) and the accuracy to an MLflow run
    # HINT: inside `with mlflow.start_run() as run:` call `mlflow.log_params`, `mlflow.log_metric("accuracy", ...)` and `mlflow.sklearn.log_model(model, name="model")`; its `.model_uri` is what register needs.
    # HINT zh-TW: 在 `with mlflow.start_run() as run:` 內呼叫 `mlflow.log_params`、`mlflow.log_metric("accuracy", ...)` 與 `mlflow.sklearn.log_model(model, name="model")`；其 `.model_uri` 就是 register 需要的。
    with mlflow.start_run() as run:
        mlflow.log_params({**params, "model_version": label})
        mlflow.log_metric("accuracy", accuracy)
        mlflow.set_tag("version_label", label)
        info = mlflow.sklearn.log_model(model, name="model")
    return info.model_uri, run.info.run_id
    # END SOLUTION


def should_promote(client: MlflowClient, name: str, accuracy: float) -> bool:
    """Whether the new model takes `champion`: there is none yet, or it is at least as accurate
    as the current champion's run says."""
    # BEGIN SOLUTION M3.promote: promote only when there is no champion or the new accuracy is at least the champion's
    # HINT: `client.get_model_version_by_alias(name, "champion")` raises `MlflowException` when there is no champion yet.
    # HINT zh-TW: 還沒有 champion 時，`client.get_model_version_by_alias(name, "champion")` 會拋出 `MlflowException`。
    # HINT: the champion's score is its run's metric: `client.get_run(champion.run_id).data.metrics["accuracy"]`.
    # HINT zh-TW: champion 的分數是其執行紀錄的指標：`client.get_run(champion.run_id).data.metrics["accuracy"]`。
    try:
        champion = client.get_model_version_by_alias(name, "champion")
    except MlflowException:
        return True
    best = client.get_run(champion.run_id).data.metrics.get("accuracy")
    return best is None or accuracy >= best
    # END SOLUTION


def register(model_uri: str, name: str, label: str, accuracy: float) -> tuple[str, bool]:
    """Register the logged model, tag it with its label, point `champion` at it when it earns it;
    (its version, whether it was promoted)."""
    # BEGIN SOLUTION M3.registry: register the model, tag the version with version_label, point alias champion at it when should_promote says so
    # HINT: `mlflow.register_model(model_uri, name).version` is the new version's number (a string in the API calls).
    # HINT zh-TW: `mlflow.register_model(model_uri, name).version` 是新版本的編號（在 API 呼叫中以字串表示）。
    # HINT: decide before you register: once registered, the new version is what `get_model_version_by_alias` compares with only if you moved the alias.
    # HINT zh-TW: 先決定再註冊：只有在你移動別名之後，新版本才會成為 `get_model_version_by_alias` 比較的對象。
    client = MlflowClient()
    promote = should_promote(client, name, accuracy)
    version = str(mlflow.register_model(model_uri, name).version)
    client.set_model_version_tag(name, version, "version_label", label)
    if promote:
        client.set_registered_model_alias(name, "champion", version)
    return version, promote
    # END SOLUTION


def write_model_file(model: Any, models_dir: Path, manifest: dict[str, Any]) -> Path:
    """sample_model.joblib, then sample_model.json recording its SHA-256 (the API checks it)."""
    # BEGIN SOLUTION M3.model_file: write sample_model.joblib and sample_model.json holding its SHA-256
    # HINT: `joblib.dump(model, path)` first, then hash the bytes on disk and write the manifest last: a reader that sees the manifest then always finds a complete file.
    # HINT zh-TW: 先 `joblib.dump(model, path)`，再雜湊磁碟上的位元組，最後才寫清單：讀到清單的人一定找得到完整的檔案。
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / "sample_model.joblib"
    joblib.dump(model, path)
    manifest = {**manifest, "file": path.name}
    manifest["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (models_dir / "sample_model.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return path
    # END SOLUTION


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    model, accuracy = fit(args.n_samples, args.c_param, args.seed)
    params = {"C": args.c_param, "n_samples": args.n_samples, "seed": args.seed}
    env = environment()
    models_dir = Path(env.get("LAB_HOME", ".lab")) / "models"
    try:
        name = tracking_setup()
        model_uri, run_id = log_run(model, params, accuracy, args.model_version)
        version, promoted = register(model_uri, name, args.model_version, accuracy)
    except NotImplementedError as todo:  # M3 not written yet: the one-step command still trains
        models_dir.mkdir(parents=True, exist_ok=True)
        joblib.dump(model, models_dir / "sample_model.joblib")
        print(f"M3 not done yet ({todo}); trained (accuracy {accuracy:.3f}), not tracked, "
              f"wrote {models_dir / 'sample_model.joblib'} without a manifest, so the API "
              "serves the course's fixture model until M3")  # fmt: skip
        return
    manifest = {
        "label": args.model_version,
        "model_name": name,
        "registry_version": version,
        "run_id": run_id,
        "feature_names": FEATURES,
        "metrics": {"accuracy": accuracy},
        "eval_metrics": {"accuracy": accuracy},
        "params": params,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = write_model_file(model, models_dir, manifest)
    decision = "promoted to champion" if promoted else "the champion is more accurate: kept it"
    print(f"accuracy {accuracy:.3f}; version {version} as {args.model_version}, {decision}; {path}")


if __name__ == "__main__":
    main()
