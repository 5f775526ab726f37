"""The `lab` command line. Each verb lives in its own module and is registered here."""

from __future__ import annotations

import os

import click

from lab import __version__
from lab.cli import (
    bench_cmd,
    check_cmd,
    course_admin_cmd,
    course_cmd,
    crm_cmd,
    dashboard_cmd,
    exercise_cmd,
    grade_cmd,
    load_cmd,
    mlflow_cmd,
    monitor_cmd,
    proc_cmd,
    rollout_cmd,
    segment_cmd,
    serve_cmd,
    setup_cmd,
    test_cmd,
    train_cmd,
    up_cmd,
)

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="mlops-lab")
def main() -> None:
    """mlops-lab: train, register, serve, integrate, monitor and grade an ML model on a laptop.

    Settings come from the environment and `.env` (run `lab init` to write it).
    """
    # Every lab process (and what it starts: uvicorn workers, `mlflow server`) refuses MLflow's
    # pickle-based loaders; the lab loads models with skops and its own trusted types.
    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "false"


VERBS = (
    setup_cmd,
    train_cmd,
    mlflow_cmd,
    test_cmd,
    serve_cmd,
    bench_cmd,
    crm_cmd,
    segment_cmd,
    monitor_cmd,
    dashboard_cmd,
    load_cmd,
    up_cmd,
    proc_cmd,
    rollout_cmd,
    check_cmd,
    exercise_cmd,
    course_cmd,
    course_admin_cmd,
    grade_cmd,
)

for _module in VERBS:
    _module.register(main)
