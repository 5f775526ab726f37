"""`lab bench`: the serving benchmark (ratios against references measured in the same run)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from lab.cli._common import LabError, console


def _concurrency(_ctx, _param, value: str) -> tuple[int, ...]:
    try:
        levels = tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter("use numbers separated by commas, e.g. 1,32") from None
    if not levels or any(not 1 <= c <= 256 for c in levels):
        raise click.BadParameter("each level must be between 1 and 256, e.g. 1,32")
    return levels


@click.command("bench")
@click.option("--seconds", default=5.0, show_default=True, type=click.FloatRange(0.5, 120),
              help="Measured time per target and concurrency (after a warm-up).")  # fmt: skip
@click.option("--warmup", default=1.0, show_default=True, type=click.FloatRange(0, 30))
@click.option("--concurrency", default="1,32", show_default=True, callback=_concurrency,
              help="Connections kept busy, comma-separated levels.")  # fmt: skip
@click.option("--no-mlflow-serve", is_flag=True, help="Skip `mlflow models serve` (saves ~1 min).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the measurements and ratios to this JSON file.")  # fmt: skip
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path),
              help="Run in (and keep) this folder: logs, MLflow store.")  # fmt: skip
def bench(seconds, warmup, concurrency, no_mlflow_serve, json_path, keep) -> None:
    """Benchmark the serving API against references measured in the same run.

    Starts, on free ports in a temporary LAB_HOME: an MLflow server, `lab train`, the lab API,
    a Litestar handler that does nothing (the framework ceiling) and `mlflow models serve
    --env-manager local` on the same model. Measures requests/s and p50/p99 latency for one row
    and a 10,000-row batch, then prints the ratios the serving issue targets. Takes ~2 minutes.
    """
    from lab.bench import report, runner
    from lab.bench.targets import StartError

    plan = runner.Plan(seconds=seconds, warmup=warmup, concurrency=concurrency,
                       mlflow_serve=not no_mlflow_serve)  # fmt: skip
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as progress:  # fmt: skip
        task = progress.add_task("preparing", total=None)
        try:
            results = runner.run(plan, lambda s: progress.update(task, description=s), keep)
        except StartError as exc:
            raise LabError(str(exc)) from None
    ratios = report.ratios(results)
    console.print(report.table(results))
    console.print(report.ratio_table(ratios))
    if json_path:
        payload = {
            "plan": plan.__dict__,
            "measurements": [m.as_dict() for m in results],
            "ratios": [{**r.__dict__, "met": r.met} for r in ratios],
        }
        json_path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        console.print(f"wrote {json_path}")


def register(group: click.Group) -> None:
    group.add_command(bench)
