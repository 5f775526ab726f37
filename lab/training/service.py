"""`lab train` end to end: data, fit, evaluate, log, register, champion decision, files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from lab import data, drift
from lab.settings import Settings
from lab.training import mlflow_registry, model_io, pipeline
from lab.training.manifest import Manifest, copy_atomic, dump_model, write_manifest

Step = Callable[[str], None]


@dataclass(frozen=True)
class TrainOptions:
    n_samples: int = 1000
    c: float = 1.0
    model_version: str | None = None  # the human label; default settings.MODEL_VERSION
    seed: int = 42
    test_size: float = 0.2
    promote: bool | None = None  # None: decide by the primary metric
    alias: str = mlflow_registry.CHAMPION

    def __post_init__(self) -> None:
        if self.n_samples < 20:
            raise ValueError("--n-samples must be at least 20 (a train and a test split)")
        if not self.c > 0:
            raise ValueError("--c must be a number > 0 (the inverse regularisation strength)")
        if not 0.05 <= self.test_size <= 0.5:
            raise ValueError("--test-size must be between 0.05 and 0.5")


@dataclass
class TrainResult:
    label: str
    registry_version: str
    run_id: str
    experiment_id: str
    metrics: dict[str, float]
    eval_metrics: dict[str, float]
    primary_metric: str
    candidate_score: float
    champion_score: float | None
    champion_version: str | None
    promoted: bool
    decision: str
    tracking: mlflow_registry.Tracking
    run_url: str | None
    model_url: str | None
    model_path: Path
    manifest_path: Path
    sha256: str
    installed: bool  # whether sample_model.joblib now holds this model
    notices: list[str] = field(default_factory=list)


def _decide(
    promote: bool | None, candidate: float, current: float | None, metric: str
) -> tuple[bool, str]:
    if promote is True:
        return True, "promoted (forced with --promote)"
    if promote is False:
        return False, "not promoted (--no-promote)"
    if current is None:
        return True, "promoted: there was no champion yet"
    if candidate >= current:
        return True, f"promoted: {metric} {candidate:.4f} >= champion's {current:.4f}"
    return False, f"kept the champion: {metric} {candidate:.4f} < champion's {current:.4f}"


def _champion_score(
    client: Any, settings: Settings, alias: str, notices: list[str]
) -> tuple[float | None, str | None]:
    """The current champion's score, loaded as the API loads it (verified first, skops only);
    None (with a notice) when there is none or it cannot be verified."""
    current = mlflow_registry.get_alias_version(client, settings.MODEL_NAME, alias)
    if current is None:
        return None, None
    what = f"{settings.MODEL_NAME} version {current.version} (the {alias})"
    try:
        model = model_io.download_and_load(
            client.get_model_version_download_uri(settings.MODEL_NAME, current.version),
            client.tracking_uri,
            (current.tags or {}).get(model_io.TREE_TAG),
            what=what,
            allow_unverified=settings.ALLOW_UNVERIFIED_MODELS,
        ).model
    except model_io.UnverifiedModelError as exc:
        notices.append(f"{exc}; it is not compared with the new model")
        return None, str(current.version)
    ev = data.evaluation_set()
    score = pipeline.score(pipeline.evaluate(model, ev.X, ev.y), settings.PRIMARY_METRIC)
    return score, str(current.version)


def train(options: TrainOptions, settings: Settings, step: Step = lambda _: None) -> TrainResult:
    import mlflow
    import mlflow.sklearn
    import pandas as pd
    import sklearn
    from mlflow.models import infer_signature

    label = options.model_version or settings.MODEL_VERSION
    step("generating data")
    ds = data.generate(options.n_samples, options.seed)
    X_tr, X_te, y_tr, y_te = train_test_split(
        ds.X, ds.y, test_size=options.test_size, random_state=options.seed
    )
    if len(np.unique(y_tr)) < 2:
        raise ValueError("the training split has one class only; use more --n-samples")

    step("fitting StandardScaler + LogisticRegression")
    model = pipeline.build(options.c, options.seed).fit(X_tr, y_tr)
    step("evaluating")
    metrics = pipeline.evaluate(model, X_te, y_te)
    ev = data.evaluation_set()
    eval_metrics = pipeline.evaluate(model, ev.X, ev.y)
    candidate = pipeline.score(eval_metrics, settings.PRIMARY_METRIC)

    step("connecting to MLflow")
    tracking = mlflow_registry.resolve_tracking(settings)
    notices = [tracking.notice] if tracking.notice else []
    client = mlflow_registry.configure(tracking)
    experiment_id = mlflow_registry.ensure_experiment(client, settings)

    step("scoring the current champion on the fixed evaluation set")
    champion_score, champion_version = _champion_score(
        client, settings, mlflow_registry.CHAMPION, notices
    )
    if options.alias == mlflow_registry.CHALLENGER and options.promote is not False:
        promoted, decision = True, "challenger: live traffic decides (`lab rollout auto`)"
    else:
        promoted, decision = _decide(
            options.promote, candidate, champion_score, settings.PRIMARY_METRIC
        )

    step("logging the run and the model")
    params = {
        "n_samples": options.n_samples,
        "C": options.c,
        "seed": options.seed,
        "test_size": options.test_size,
        "model_version": label,
    }
    with mlflow.start_run(experiment_id=experiment_id, run_name=label) as run:
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        mlflow.log_metrics({f"eval_{k}": v for k, v in eval_metrics.items()})
        mlflow.set_tags({mlflow_registry.LABEL_TAG: label, "mlops_lab.decision": decision})
        reference = drift.reference(X_tr, data.FEATURE_NAMES)
        mlflow.log_dict(reference, mlflow_registry.DRIFT_REFERENCE_ARTIFACT)
        example = pd.DataFrame(X_tr[:5], columns=list(data.FEATURE_NAMES))
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(example, model.predict_proba(example.to_numpy())[:, 1]),
            input_example=example,
            serialization_format="skops",
            pip_requirements=[f"scikit-learn=={sklearn.__version__}"],
        )
        run_id = run.info.run_id

    step("registering the model version")
    # The API verifies every file of the download against these before it loads anything.
    # (from the logged model's own artifact folder: what the registry version's download URI
    # serves; a `models:/` download adds a generated `registered_model_meta` file)
    digest = model_io.logged_digests(mlflow.get_logged_model(info.model_id).artifact_location)
    version = mlflow_registry.register(
        client, settings.MODEL_NAME, info.model_uri, run_id, label, info.model_id, digest
    )
    version_id = str(version.version)
    client.set_model_version_tag(
        settings.MODEL_NAME, version_id, f"eval_{settings.PRIMARY_METRIC}", f"{candidate:.6f}"
    )
    if promoted:
        client.set_registered_model_alias(settings.MODEL_NAME, options.alias, version_id)

    step("writing the model file and manifest")
    run_dir = settings.models_dir / "versions" / version_id
    manifest = Manifest(
        label=label,
        model_name=settings.MODEL_NAME,
        registry_version=version_id,
        run_id=run_id,
        feature_names=list(data.FEATURE_NAMES),
        metrics=metrics,
        eval_metrics=eval_metrics,
        sha256=dump_model(model, run_dir / "sample_model.joblib"),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        params=params,
        tracking_uri=tracking.uri,
        champion=promoted and options.alias == mlflow_registry.CHAMPION,
        drift_reference=reference,
    )
    write_manifest(manifest, run_dir / "sample_model.json")
    installed = manifest.champion or not settings.model_path.exists()
    if installed:
        # sample_model.joblib mirrors the champion: the API's fallback when MLflow is down.
        copy_atomic(run_dir / "sample_model.joblib", settings.model_path)
        write_manifest(manifest, settings.manifest_path)

    return TrainResult(
        label=label,
        registry_version=version_id,
        run_id=run_id,
        experiment_id=experiment_id,
        metrics=metrics,
        eval_metrics=eval_metrics,
        primary_metric=settings.PRIMARY_METRIC,
        candidate_score=candidate,
        champion_score=champion_score,
        champion_version=champion_version,
        promoted=promoted,
        decision=decision,
        tracking=tracking,
        run_url=mlflow_registry.run_url(tracking, experiment_id, run_id),
        model_url=mlflow_registry.model_url(tracking, settings.MODEL_NAME, version_id),
        model_path=settings.model_path if installed else run_dir / "sample_model.joblib",
        manifest_path=settings.manifest_path if installed else run_dir / "sample_model.json",
        sha256=manifest.sha256,
        installed=installed,
        notices=notices,
    )
