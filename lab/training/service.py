"""`lab train` end to end: data, fit, evaluate, log, register, champion decision, files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab import data
from lab.settings import Settings
from lab.training import mlflow_registry, model_io, pipeline, signing, steps

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
    tags = current.tags or {}
    try:
        if not settings.ALLOW_UNVERIFIED_MODELS:
            signing.check_version(
                settings.LAB_SIGNING_KEY, settings.MODEL_NAME, str(current.version),
                tags.get(model_io.TREE_TAG), str(tags.get(mlflow_registry.LABEL_TAG, "")),
                tags.get(signing.SIGNATURE_TAG),
            )  # fmt: skip
        model = model_io.download_and_load(
            client.get_model_version_download_uri(settings.MODEL_NAME, current.version),
            client.tracking_uri,
            tags.get(model_io.TREE_TAG),
            what=what,
            allow_unverified=settings.ALLOW_UNVERIFIED_MODELS,
        ).model
    except (model_io.UnverifiedModelError, signing.UnsignedStateError) as exc:
        notices.append(f"{exc}; it is not compared with the new model")
        return None, str(current.version)
    ev = data.evaluation_set()
    score = pipeline.score(pipeline.evaluate(model, ev.X, ev.y), settings.PRIMARY_METRIC)
    return score, str(current.version)


def _promotion(
    options: TrainOptions, candidate: float, champion: float | None, settings: Settings
) -> tuple[bool, str]:
    """Whether the new version takes `options.alias`, and why."""
    if options.alias == mlflow_registry.CHALLENGER and options.promote is not False:
        return True, "challenger: live traffic decides (`lab rollout auto`)"
    return _decide(options.promote, candidate, champion, settings.PRIMARY_METRIC)


def train(options: TrainOptions, settings: Settings, step: Step = lambda _: None) -> TrainResult:
    """Fit and evaluate, decide against the champion, log, register, install (see `steps`)."""
    label = options.model_version or settings.MODEL_VERSION
    fitted = steps.fit_and_evaluate(
        options.n_samples, options.c, options.seed, options.test_size, settings.PRIMARY_METRIC, step
    )

    step("connecting to MLflow")
    tracking = mlflow_registry.resolve_tracking(settings)
    notices = [tracking.notice] if tracking.notice else []
    client = mlflow_registry.configure(tracking)
    experiment_id = mlflow_registry.ensure_experiment(client, settings)

    step("scoring the current champion on the fixed evaluation set")
    champion_score, champion_version = _champion_score(
        client, settings, mlflow_registry.CHAMPION, notices
    )
    promoted, decision = _promotion(options, fitted.candidate_score, champion_score, settings)

    step("logging the run and the model")
    params = {
        "n_samples": options.n_samples, "C": options.c, "seed": options.seed,
        "test_size": options.test_size, "model_version": label,
    }  # fmt: skip
    logged = steps.log_run(fitted, experiment_id, label, params, decision)

    step("registering the model version")
    alias = options.alias if promoted else None
    version_id = steps.register(client, settings, logged, label, fitted.candidate_score, alias)

    step("writing the model file and manifest")
    champion = promoted and options.alias == mlflow_registry.CHAMPION
    manifest = steps.manifest_for(
        settings, fitted, logged, version_id, label, params, tracking.uri, champion
    )
    done = steps.install(settings, fitted.model, manifest)

    return TrainResult(
        label=label,
        registry_version=version_id,
        run_id=logged.run_id,
        experiment_id=experiment_id,
        metrics=fitted.metrics,
        eval_metrics=fitted.eval_metrics,
        primary_metric=settings.PRIMARY_METRIC,
        candidate_score=fitted.candidate_score,
        champion_score=champion_score,
        champion_version=champion_version,
        promoted=promoted,
        decision=decision,
        tracking=tracking,
        run_url=mlflow_registry.run_url(tracking, experiment_id, logged.run_id),
        model_url=mlflow_registry.model_url(tracking, settings.MODEL_NAME, version_id),
        model_path=done.model_path,
        manifest_path=done.manifest_path,
        sha256=done.manifest.sha256,
        installed=done.installed,
        notices=notices,
    )
