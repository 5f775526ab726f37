"""`lab train`: fit, evaluate, log to MLflow, register, decide on the champion, write files."""

from __future__ import annotations

import logging
import os
import warnings
from typing import TYPE_CHECKING

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from lab.cli._common import LabError, console, signing_settings, warn_in_workspace

if TYPE_CHECKING:
    from lab.training import TrainResult


@click.command("train")
@click.option(
    "--n-samples",
    "--n_samples",
    "n_samples",
    default=1000,
    show_default=True,
    type=click.IntRange(20, 5_000_000),
    help="Rows of synthetic data to generate.",
)
@click.option(
    "--c",
    "--c-param",
    "--c_param",
    "c",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Inverse regularisation strength of the LogisticRegression.",
)
@click.option(
    "--model-version",
    "--model_version",
    "model_version",
    default=None,
    help="Human label for this model, e.g. v1.2.0-stable (default: MODEL_VERSION).",
)
@click.option("--seed", default=42, show_default=True, type=int, help="Data and model seed.")
@click.option("--test-size", default=0.2, show_default=True, type=click.FloatRange(0.05, 0.5))
@click.option(
    "--promote/--no-promote",
    default=None,
    help="Force or forbid moving the alias (default: only if at least as good).",
)
@click.option(
    "--alias",
    default="champion",
    show_default=True,
    type=click.Choice(["champion", "challenger"]),
    help="Registry alias this model competes for.",
)
def train(
    n_samples: int, c: float, model_version: str | None, seed: int, test_size: float,
    promote: bool | None, alias: str,
) -> None:  # fmt: skip
    """Train the churn model, register it in MLflow and write the model file.

    Example: lab train --n_samples 1000 --c_param 0.1 --model_version v1.2.0-stable
    """
    from mlflow.exceptions import MlflowException

    from lab.settings import Settings
    from lab.training import TrainOptions
    from lab.training import train as run_training

    warn_in_workspace("train")
    settings: Settings = signing_settings()
    if model_version is not None:
        try:
            settings = signing_settings(MODEL_VERSION=model_version)
        except click.UsageError:
            raise click.BadParameter(
                "use letters, digits and . _ - + (e.g. v1.2.0-stable)", param_hint="--model-version"
            ) from None
    _quiet_mlflow()
    options = TrainOptions(
        n_samples=n_samples,
        c=c,
        model_version=model_version,
        seed=seed,
        test_size=test_size,
        promote=promote,
        alias=alias,
    )
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("training", total=None)
        try:
            result = run_training(
                options, settings, step=lambda s: progress.update(task, description=s)
            )
        except (ValueError, ConnectionError) as exc:
            raise LabError(str(exc)) from None
        except MlflowException as exc:
            raise LabError(f"MLflow refused: {exc.message}") from None
    for notice in result.notices:
        console.print(f"[yellow]notice:[/] {notice}", soft_wrap=True)
    _summary(result)
    if result.promoted and alias == "challenger":
        from lab.rollout import flow

        share = settings.CHALLENGER_SHARE or 0.1
        split = flow.apply_split(None, settings, share)
        console.print(f"challenger split {share:.0%} {split.recorded}", soft_wrap=True)
        console.print(f"API: {split.api}", soft_wrap=True)


def _quiet_mlflow() -> None:
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    warnings.filterwarnings("ignore")
    import mlflow  # noqa: F401 - mlflow sets its log levels on import; override them after

    for name in ("mlflow", "alembic", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _summary(r: TrainResult) -> None:
    table = Table(
        title=f"model {r.label} → registry version {r.registry_version}",
        show_header=True,
        header_style="bold",
    )
    table.add_column("metric")
    table.add_column("test split", justify="right")
    table.add_column("evaluation set", justify="right")
    for name, value in r.metrics.items():
        table.add_row(name, f"{value:.4f}", f"{r.eval_metrics[name]:.4f}")
    console.print(table)
    champ = (
        "none"
        if r.champion_score is None
        else (f"{r.champion_score:.4f} (version {r.champion_version})")
    )
    console.print(f"{r.primary_metric}: candidate {r.candidate_score:.4f}, champion {champ}")
    colour = "green" if r.promoted else "yellow"
    console.print(f"[{colour}]decision:[/] {r.decision}")
    console.print(f"model file: {r.model_path} (sha256 {r.sha256[:16]}…)", soft_wrap=True)
    console.print(f"manifest:   {r.manifest_path}", soft_wrap=True)
    if not r.installed:
        console.print("sample_model.joblib and .skops still hold the champion (the API's fallback)")
    via = "the MLflow server" if r.tracking.via_server else r.tracking.uri
    console.print(f"tracked via {via}; run {r.run_id}", soft_wrap=True)
    if r.run_url:
        console.print(f"run in the MLflow UI:   {r.run_url}", soft_wrap=True)
        console.print(f"model in the MLflow UI: {r.model_url}", soft_wrap=True)
