"""`lab mlflow`: run the MLflow tracking server."""

from __future__ import annotations

import os
import sys

import click

from lab import mlflow_server
from lab.cli._common import console, get_settings
from lab.procs import run_foreground


@click.command("mlflow")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 16))
@click.option("--print-command", is_flag=True, help="Print the command line and exit.")
def mlflow(workers: int, print_command: bool) -> None:
    """Run `mlflow server` on MLFLOW_HOST:MLFLOW_PORT (SQLite + artifacts under LAB_HOME).

    Lean options (1 worker, job execution off, no access log unless LOG_LEVEL=DEBUG or
    `lab up --verbose`). On Linux and macOS this process becomes MLflow's uvicorn (exec):
    one process, not a waiting parent plus its server.
    """
    settings = get_settings()
    quiet = not mlflow_server.access_log(settings)
    cmd = mlflow_server.command(settings, workers=workers, quiet=quiet)
    if print_command:
        click.echo(" ".join(cmd))
        return
    console.print(f"MLflow UI on {settings.mlflow_url} (store {settings.mlflow_db_uri})")
    mlflow_server.reset_metrics(settings)
    if os.name == "posix":
        mlflow_server.exec_server(cmd, mlflow_server.LEAN_ENV)
    sys.exit(run_foreground(cmd, env=mlflow_server.LEAN_ENV))
