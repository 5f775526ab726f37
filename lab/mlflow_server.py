"""`lab mlflow`: the MLflow tracking server on SQLite, artifacts under LAB_HOME, lean options.

`mlflow server` prepares the stores, then starts uvicorn as a child and only waits on it (a
second Python process of ~280 MB). On POSIX `lab mlflow` runs that preparation in its own
process and then execs uvicorn in its place (`exec_server`): one process serves MLflow.
Its access log (every Prometheus scrape, every registry poll) is off unless LOG_LEVEL=DEBUG
or `lab up --verbose`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

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


def access_log(settings: Settings, environ: Mapping[str, str] = os.environ) -> bool:
    """The access log is for debugging: LOG_LEVEL=DEBUG or `lab up --verbose` (LAB_VERBOSE)."""
    return settings.LOG_LEVEL == "DEBUG" or environ.get("LAB_VERBOSE", "") not in ("", "0")


def command(
    settings: Settings,
    *,
    workers: int = 1,
    extra: list[str] | None = None,
    quiet: bool = True,
) -> list[str]:
    """`python -m mlflow server ...`; `quiet` turns uvicorn's access log off."""
    settings.mlflow_artifacts_dir.mkdir(parents=True, exist_ok=True)
    expose = ["--expose-prometheus", str(metrics_dir(settings))] if exposes_metrics() else []
    expose += ["--uvicorn-opts=--no-access-log"] if quiet else []
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


def exec_server(cmd: list[str], env: Mapping[str, str]) -> NoReturn:
    """Run `mlflow server`'s preparation here, then exec its uvicorn instead of spawning it.

    `cmd` is `command(...)`; `mlflow server` hands uvicorn's command line and environment to
    `mlflow.server._exec_cmd`, which is replaced by an exec. POSIX only (Windows has no exec
    that keeps the PID: `lab mlflow` runs `mlflow server` as a child there).
    """
    os.environ.update(env)
    import mlflow.server as mlflow_server
    from mlflow.cli import cli

    def _exec(
        full_command: list[str], *, extra_env: Mapping[str, str] | None = None, **_: object
    ) -> NoReturn:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(full_command[0], full_command, {**os.environ, **(extra_env or {})})

    mlflow_server._exec_cmd = _exec  # type: ignore[assignment]
    cli.main(args=cmd[cmd.index("server") :], prog_name="mlflow")
    raise SystemExit(1)  # cli.main exits; reached only if mlflow stops calling _exec_cmd
