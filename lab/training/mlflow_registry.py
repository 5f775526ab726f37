"""The MLflow side of training: where to track, logging a run, registering, aliases."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from lab.settings import Settings

EXPERIMENT_NAME = "mlops-lab"
CHAMPION = "champion"
CHALLENGER = "challenger"
LABEL_TAG = "version_label"
DRIFT_REFERENCE_ARTIFACT = "drift_reference.json"  # per-feature bins of the training data
SHA256_TAG = "model_sha256"  # SHA-256 of the logged model file; the API checks it before loading
MODEL_FILES = ("model.skops", "model.pkl", "model.joblib")  # the serialized model in a model folder
#: Registered-model tag holding the challenger's share of traffic (beside the alias, so an API
#: that starts later serves it): written by `lab train --alias challenger`, `lab rollout
#: start|promote|abort` and POST /admin/split; read by the API at start and at every poll.
SPLIT_TAG = "rollout.challenger_share"


def format_share(share: float) -> str:
    if not 0.0 <= share <= 1.0:  # False for NaN too
        raise ValueError(f"the challenger share must be between 0 and 1, got {share!r}")
    return f"{share:.6g}"


def parse_share(value: object) -> float | None:
    """The share a SPLIT_TAG value holds, or None when it holds none (absent or malformed)."""
    try:
        share = float(str(value))
    except ValueError:
        return None
    return share if 0.0 <= share <= 1.0 else None


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tracking:
    uri: str
    via_server: bool
    ui_url: str | None
    notice: str | None = None


def server_is_up(url: str, timeout: float = 5.0) -> bool:
    """Whether the tracking server answers /health (5 s: a busy laptop's server is slow, and a
    wrong "no" sends the run to the local SQLite store instead)."""
    try:
        return httpx.get(f"{url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def resolve_tracking(settings: Settings) -> Tracking:
    """The tracking server when it answers; else the same SQLite file and artifact folder."""
    uri = settings.tracking_uri
    if not uri.startswith(("http://", "https://")):
        return Tracking(uri=uri, via_server=False, ui_url=None)
    if server_is_up(uri):
        return Tracking(uri=uri, via_server=True, ui_url=uri)
    if settings.MLFLOW_TRACKING_URI:
        raise ConnectionError(
            f"MLflow at {uri} (MLFLOW_TRACKING_URI) does not answer; start it or unset the key"
        )
    settings.mlflow_dir.mkdir(parents=True, exist_ok=True)
    return Tracking(
        uri=settings.mlflow_db_uri,
        via_server=False,
        ui_url=settings.mlflow_url,
        notice=(
            f"MLflow server at {uri} is not running: tracking straight to "
            f"{settings.mlflow_db_uri} (start it with `lab mlflow` to browse the runs)"
        ),
    )


def configure(tracking: Tracking) -> Any:
    """Point mlflow at `tracking` and return an `MlflowClient`."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow
    from mlflow import MlflowClient

    saved = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    mlflow.set_tracking_uri(tracking.uri)
    mlflow.set_registry_uri(tracking.uri)
    # mlflow also exports these to os.environ; put them back so the choice made here (maybe a
    # SQLite fallback) never leaks into processes this one starts (`lab up` trains in-process).
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    return MlflowClient(tracking_uri=tracking.uri, registry_uri=tracking.uri)


def ensure_experiment(client: Any, settings: Settings) -> str:
    """The lab's experiment, whose artifacts live in LAB_HOME on both tracking paths."""
    found = client.get_experiment_by_name(EXPERIMENT_NAME)
    if found is not None:
        return found.experiment_id
    settings.mlflow_artifacts_dir.mkdir(parents=True, exist_ok=True)
    return client.create_experiment(
        EXPERIMENT_NAME, artifact_location=settings.mlflow_artifacts_dir.as_uri()
    )


def get_alias_version(client: Any, name: str, alias: str) -> Any | None:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def register(
    client: Any,
    name: str,
    model_uri: str,
    run_id: str,
    label: str,
    model_id: str | None,
    tags: dict[str, str] | None = None,
) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(
            name, description="Customer-churn classifier trained by `lab train` (mlops-lab)."
        )
    except MlflowException as exc:
        if "RESOURCE_ALREADY_EXISTS" not in str(exc.error_code):
            raise
    version = client.create_model_version(
        name,
        source=model_uri,
        run_id=run_id,
        tags={LABEL_TAG: label, **(tags or {})},
        model_id=model_id,
    )
    return version


def run_url(tracking: Tracking, experiment_id: str, run_id: str) -> str | None:
    if tracking.ui_url is None:
        return None
    return f"{tracking.ui_url}/#/experiments/{experiment_id}/runs/{run_id}"


def model_url(tracking: Tracking, name: str, version: str) -> str | None:
    if tracking.ui_url is None:
        return None
    return f"{tracking.ui_url}/#/models/{name}/versions/{version}"


def serialized_model(model_dir: Path) -> Path | None:
    """The serialized model file inside an MLflow model folder, or None."""
    return next((model_dir / n for n in MODEL_FILES if (model_dir / n).is_file()), None)
