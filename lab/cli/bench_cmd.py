"""`lab bench`: the serving benchmark (ratios against references measured in the same run)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from lab.cli._common import LabError, console


def _concurrency(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[int, ...]:
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
@click.option(
    "--soak",
    is_flag=True,
    help="Reliability: lab load for --minutes; RSS and open files of the API and CRM.",
)
@click.option(
    "--chaos",
    is_flag=True,
    help="Reliability: lab load under `lab up` while the CRM, the API and MLflow are "
    "killed (-9) in turn; every answer and every CRM write is checked.",
)
@click.option(
    "--minutes",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.5, 600),
    help="Length of --soak.",
)
@click.option(
    "--duration",
    type=click.FloatRange(10, 36_000),
    help="Seconds of load for --chaos (default 60; the kills come at 1/6, 5/12 and 2/3 of it) "
    "or --soak (instead of --minutes). `--chaos --duration 60` is the short run CI does.",
)
@click.option(
    "--rate",
    default=50.0,
    show_default=True,
    type=click.FloatRange(1, 500),
    help="Requests/s of --soak and --chaos.",
)
@click.option(
    "--check-data",
    "check_data",
    type=click.FloatRange(0.001, 64),
    metavar="GIB",
    help="Instead: `lab check` in a workspace without and with a data file of GIB GiB; prints "
    "wall time and peak RSS of each, and their ratios.",
)
def bench(
    seconds: float, warmup: float, concurrency: tuple[int, ...], no_mlflow_serve: bool,
    json_path: Path | None, keep: Path | None, soak: bool, chaos: bool, minutes: float,
    duration: float | None, rate: float, check_data: float | None,
) -> None:  # fmt: skip
    """Benchmark the serving API against references measured in the same run.

    Starts, on free ports in a temporary LAB_HOME: an MLflow server, `lab train`, the lab API,
    a Litestar handler that does nothing (the framework ceiling) and `mlflow models serve
    --env-manager local` on the same model. Measures requests/s and p50/p99 latency for one row
    and a 10,000-row batch, then prints the ratios the serving issue targets. Takes ~2 minutes.

    --soak and --chaos measure reliability instead (docs/security.md): --soak runs `lab load`
    at --rate for --minutes (10) and prints the RSS growth and open descriptors of the API and
    CRM after the first minute; --chaos runs 60 s of `lab load` under `lab up`, kills the CRM,
    then the API, then MLflow with SIGKILL, and checks that every answer is a documented one and
    every 200 of /crm_segment_update has exactly its CRM history row. Each prints one
    machine-readable line, `lab-bench-summary {json}`: answers by class, CRM writes confirmed /
    lost / doubled, RSS and open-file growth per process. Exit code 1 if a target is missed
    (a lost or doubled write included).
    """
    if check_data:
        from lab.exercises import check_bench as check_scan

        runs = check_scan.run(check_data, lambda s: console.print(f"[dim]{s}[/]"), keep)
        for line in check_scan.summary(runs, check_data):
            console.print(line)
        return
    if soak or chaos:
        _reliability(soak, chaos, minutes, rate, keep, json_path, duration)
        return
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
    for line in report.decisions(results):
        console.print(line, soft_wrap=True)
    if json_path:
        payload = {
            "plan": plan.__dict__,
            "measurements": [m.as_dict() for m in results],
            "ratios": [{**r.__dict__, "met": r.met} for r in ratios],
        }
        json_path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        console.print(f"wrote {json_path}")


def _reliability(
    soak: bool, chaos: bool, minutes: float, rate: float, keep: Path | None,
    json_path: Path | None, duration: float | None,
) -> None:  # fmt: skip
    from lab.bench import reliability_report, summary
    from lab.bench.targets import StartError

    payload: dict = {}
    lines: list[str] = []
    passed = True
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as progress:  # fmt: skip
        task = progress.add_task("preparing", total=None)

        def step(text: str) -> None:
            progress.update(task, description=text)

        try:
            if chaos:
                from lab.bench import chaos as chaos_mod

                began = time.monotonic()
                got = chaos_mod.run(
                    seconds=duration or chaos_mod.SECONDS, rate=rate, step=step, keep=keep
                )
                progress.console.print(reliability_report.chaos_tables(got))
                payload["chaos"] = got.as_dict()
                wall = {"wall_seconds": round(time.monotonic() - began, 1)}  # start-up included
                lines.append(summary.line(summary.chaos_summary(got) | wall))
                passed &= got.passed
            if soak:
                from lab.bench import soak as soak_mod

                if duration:
                    minutes = duration / 60
                began = time.monotonic()
                result = soak_mod.run(minutes=minutes, rate=rate, step=step, keep=keep)
                progress.console.print(reliability_report.soak_table(result))
                progress.console.print(
                    reliability_report.answers_table("soak answers", result.answers)
                )
                payload["soak"] = reliability_report.soak_dict(result)
                wall = {"wall_seconds": round(time.monotonic() - began, 1)}
                lines.append(summary.line(summary.soak_summary(result) | wall))
                passed &= result.passed
        except StartError as exc:
            raise LabError(str(exc)) from None
    for text in lines:  # plain stdout, one line each (never wrapped by the terminal's width)
        click.echo(text)
    if json_path:
        json_path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        console.print(f"wrote {json_path}")
    if not passed:
        raise LabError("a reliability target was missed (see the tables above)")
