"""The steps of `lab train`, each on its own: fit and evaluate, log the run, register the
version, install the model file and manifest. `lab.training.service.train` runs them in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from lab import data, drift
from lab.settings import Settings
from lab.training import mlflow_registry, model_io, pipeline, signing
from lab.training.manifest import Manifest, copy_atomic, dump_model, dump_skops, write_manifest


@dataclass(frozen=True)
class Fitted:
    """A fitted model with its scores: on its test split and on the fixed evaluation set."""

    model: Any
    X_train: np.ndarray
    metrics: dict[str, float]
    eval_metrics: dict[str, float]
    candidate_score: float  # the primary metric on the evaluation set


@dataclass(frozen=True)
class Logged:
    """An MLflow run holding the model."""

    run_id: str
    model_uri: str
    model_id: str
    drift_reference: dict[str, Any]


@dataclass(frozen=True)
class Installed:
    """The model file and manifest written for a registry version."""

    manifest: Manifest
    installed: bool  # whether sample_model.joblib now holds this model
    model_path: Path
    manifest_path: Path


def fit_and_evaluate(
    n_samples: int,
    c: float,
    seed: int,
    test_size: float,
    primary_metric: str,
    step: Callable[[str], None] = lambda _: None,
) -> Fitted:
    """Generate the data, split it, fit the pipeline and score it (test split, evaluation set)."""
    step("generating data")
    ds = data.generate(n_samples, seed)
    X_tr, X_te, y_tr, y_te = train_test_split(ds.X, ds.y, test_size=test_size, random_state=seed)
    if len(np.unique(y_tr)) < 2:
        raise ValueError("the training split has one class only; use more --n-samples")
    step("fitting StandardScaler + LogisticRegression")
    model = pipeline.build(c, seed).fit(X_tr, y_tr)
    step("evaluating")
    metrics = pipeline.evaluate(model, X_te, y_te)
    ev = data.evaluation_set()
    eval_metrics = pipeline.evaluate(model, ev.X, ev.y)
    candidate = pipeline.score(eval_metrics, primary_metric)
    return Fitted(model, X_tr, metrics, eval_metrics, candidate)


def log_run(
    fitted: Fitted, experiment_id: str, label: str, params: dict[str, Any], decision: str
) -> Logged:
    """Log params, metrics, the drift reference and the model (skops) in one MLflow run."""
    import mlflow
    import mlflow.sklearn
    import pandas as pd
    import sklearn
    from mlflow.models import infer_signature

    model = fitted.model
    with mlflow.start_run(experiment_id=experiment_id, run_name=label) as run:
        mlflow.log_params(params)
        mlflow.log_metrics(fitted.metrics)
        mlflow.log_metrics({f"eval_{k}": v for k, v in fitted.eval_metrics.items()})
        mlflow.set_tags({mlflow_registry.LABEL_TAG: label, "mlops_lab.decision": decision})
        reference = drift.reference(fitted.X_train, data.FEATURE_NAMES)
        mlflow.log_dict(reference, mlflow_registry.DRIFT_REFERENCE_ARTIFACT)
        example = pd.DataFrame(fitted.X_train[:5], columns=list(data.FEATURE_NAMES))
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(example, model.predict_proba(example.to_numpy())[:, 1]),
            input_example=example,
            serialization_format="skops",
            pip_requirements=[f"scikit-learn=={sklearn.__version__}"],
        )
        run_id = run.info.run_id
    return Logged(run_id, info.model_uri, info.model_id, reference)


def register(
    client: Any,
    settings: Settings,
    logged: Logged,
    label: str,
    candidate_score: float,
    alias: str | None,
) -> str:
    """Register the logged model as a new version, tagged with its digests (model_io) and its
    score, and point `alias` at it (None: no alias moves). Returns the version number."""
    import mlflow

    # The API verifies every file of the download against these before it loads anything.
    # (from the logged model's own artifact folder: what the registry version's download URI
    # serves; a `models:/` download adds a generated `registered_model_meta` file)
    digest = model_io.logged_digests(mlflow.get_logged_model(logged.model_id).artifact_location)
    version = mlflow_registry.register(
        client, settings.MODEL_NAME, logged.model_uri, logged.run_id, label, logged.model_id,
        digest,
    )  # fmt: skip
    version_id = str(version.version)
    # The API serves no version without the lab's signature over what it verifies and serves.
    signature = signing.sign_version(
        settings.LAB_SIGNING_KEY, settings.MODEL_NAME, version_id, digest[model_io.TREE_TAG], label
    )
    client.set_model_version_tag(settings.MODEL_NAME, version_id, signing.SIGNATURE_TAG, signature)
    client.set_model_version_tag(
        settings.MODEL_NAME, version_id, f"eval_{settings.PRIMARY_METRIC}", f"{candidate_score:.6f}"
    )
    if alias is not None:
        client.set_registered_model_alias(settings.MODEL_NAME, alias, version_id)
    return version_id


def manifest_for(
    settings: Settings,
    fitted: Fitted,
    logged: Logged,
    version_id: str,
    label: str,
    params: dict[str, Any],
    tracking_uri: str,
    champion: bool,
) -> Manifest:
    """The manifest of a registered version; `install` adds the model file's SHA-256."""
    return Manifest(
        label=label,
        model_name=settings.MODEL_NAME,
        registry_version=version_id,
        run_id=logged.run_id,
        feature_names=list(data.FEATURE_NAMES),
        metrics=fitted.metrics,
        eval_metrics=fitted.eval_metrics,
        sha256="",
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        params=params,
        tracking_uri=tracking_uri,
        champion=champion,
        drift_reference=logged.drift_reference,
    )


def install(settings: Settings, model: Any, manifest: Manifest) -> Installed:
    """Write the version's model files (joblib for the course, skops for the lab) and manifest
    (with both SHA-256 digests) under models/versions/N; copy them to models/ (the API's
    fallback when MLflow is down) for a champion, or when there is no model file yet."""
    run_dir = settings.models_dir / "versions" / str(manifest.registry_version)
    manifest = replace(
        manifest,
        sha256=dump_model(model, run_dir / manifest.file),
        skops_sha256=dump_skops(model, run_dir / manifest.skops_file),
    )
    write_manifest(manifest, run_dir / "sample_model.json")
    if manifest.champion or not settings.model_path.exists():
        copy_atomic(run_dir / manifest.skops_file, settings.skops_model_path)
        copy_atomic(run_dir / manifest.file, settings.model_path)
        write_manifest(manifest, settings.manifest_path)
        return Installed(manifest, True, settings.model_path, settings.manifest_path)
    return Installed(manifest, False, run_dir / manifest.file, run_dir / "sample_model.json")
