"""`lab mlflow`: the MLflow tracking server on SQLite, artifacts under LAB_HOME, lean options."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

from lab.settings import Settings

#: Measured here: job execution off + 1 worker starts in ~7 s and ~480 MB (not 12-17 s, ~3 GB).
LEAN_ENV = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


def metrics_dir(settings: Settings) -> Path:
    """prometheus_client's multiprocess folder of the server's /metrics (--expose-prometheus)."""
    return settings.mlflow_dir / "prometheus-metrics"


def exposes_metrics() -> bool:
    """`--expose-prometheus` needs prometheus-flask-exporter (a dependency of the lab)."""
    return importlib.util.find_spec("prometheus_flask_exporter") is not None


def reset_metrics(settings: Settings) -> None:
    """Drop the samples of an earlier run (multiprocess files of dead workers) before a start."""
    shutil.rmtree(metrics_dir(settings), ignore_errors=True)


def command(settings: Settings, *, workers: int = 1, extra: list[str] | None = None) -> list[str]:
    settings.mlflow_artifacts_dir.mkdir(parents=True, exist_ok=True)
    expose = ["--expose-prometheus", str(metrics_dir(settings))] if exposes_metrics() else []
    return [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", settings.mlflow_db_uri,
        "--default-artifact-root", settings.mlflow_artifacts_dir.as_uri(),
        "--no-serve-artifacts",
        "--host", settings.MLFLOW_HOST,
        "--port", str(settings.MLFLOW_PORT),
        "--workers", str(workers),
        *expose,
        *(extra or []),
    ]  # fmt: skip
