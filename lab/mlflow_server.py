"""`lab mlflow`: the MLflow tracking server on SQLite, artifacts under LAB_HOME, lean options."""

from __future__ import annotations

import sys

from lab.settings import Settings

#: Measured here: job execution off + 1 worker starts in ~7 s and ~480 MB (not 12-17 s, ~3 GB).
LEAN_ENV = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


def command(settings: Settings, *, workers: int = 1, extra: list[str] | None = None) -> list[str]:
    settings.mlflow_artifacts_dir.mkdir(parents=True, exist_ok=True)
    return [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", settings.mlflow_db_uri,
        "--default-artifact-root", settings.mlflow_artifacts_dir.as_uri(),
        "--no-serve-artifacts",
        "--host", settings.MLFLOW_HOST,
        "--port", str(settings.MLFLOW_PORT),
        "--workers", str(workers),
        *(extra or []),
    ]  # fmt: skip
