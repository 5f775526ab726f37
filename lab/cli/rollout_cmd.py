"""`lab rollout`: champion/challenger with automated analysis on Prometheus."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click
from rich.live import Live
from rich.table import Table

from lab.cli._common import LabError, console, signing_settings

if TYPE_CHECKING:  # imported on use: `lab.rollout.operations` pulls in MLflow and sklearn
    from lab.rollout import analysis, flow, operations


def _pair_line(pair: operations.Pair) -> str:
    challenger = (
        "none" if pair.challenger_version is None
        else f"v{pair.challenger_version} ({pair.challenger_label})"
    )  # fmt: skip
    return f"champion v{pair.champion_version} ({pair.champion_label}), challenger {challenger}"


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """A rollout step that cannot be done: its message, as a CLI error (no traceback)."""
    from lab.rollout.operations import RolloutError

    try:
        yield
    except RolloutError as exc:
        raise LabError(str(exc)) from None


def _print_split(split: flow.Split) -> None:
    console.print(f"challenger split {split.share:.0%} {split.recorded}", soft_wrap=True)
    console.print(f"API: {split.api}", soft_wrap=True)


def _analysis_table(a: analysis.Analysis, window: str) -> Table:

    colour = {"pass": "green", "fail": "red", "wait": "yellow"}[a.verdict]
    table = Table(title=f"champion vs challenger over {window}: [{colour}]{a.verdict}[/]")
    table.add_column("")
    table.add_column(f"champion {a.champion.version}", justify="right")
    table.add_column(f"challenger {a.challenger.version}", justify="right")
    rows = [
        ("requests", "{:.0f}", "requests"),
        ("error ratio", "{:.2%}", "error_ratio"),
        ("p95 latency (ms)", "{:.2f}", "p95_latency"),
        ("churn rate", "{:.1%}", "churn_rate"),
    ]
    for title, fmt, attr in rows:
        scale = 1000 if attr == "p95_latency" else 1
        table.add_row(
            title,
            fmt.format(getattr(a.champion, attr) * scale),
            fmt.format(getattr(a.challenger, attr) * scale),
        )
    for reason in a.reasons:
        table.add_row("[dim]reason[/]", "", reason)
    return table


@click.group("rollout")
def rollout() -> None:
    """Champion/challenger: split traffic, analyse on Prometheus, promote or abort.

    Typical flow: `lab train --alias challenger --model-version v2` (or `lab rollout start N`),
    `lab load`, then `lab rollout auto`. `lab rollout rollback` undoes a promotion.
    """


@rollout.command("start")
@click.argument("version")
@click.option(
    "--share",
    default=0.1,
    show_default=True,
    type=click.FloatRange(0.0, 1.0),
    help="Share of traffic the challenger gets.",
)
def start(version: str, share: float) -> None:
    """Put registry VERSION on the `challenger` alias and split traffic to it."""
    from lab.rollout import flow, operations

    settings = signing_settings()
    with _refusals():
        client = flow.client(settings)
        pair = operations.start(client, settings.MODEL_NAME, version)
    console.print(_pair_line(pair))
    _print_split(flow.apply_split(client, settings, share))


@rollout.command("analyze")
@click.option("--window", default=None, help="PromQL range, e.g. 2m (default from rollout.yml).")
def analyze_cmd(window: str | None) -> None:
    """Compare both versions over a window and print the verdict (exit 1 on fail)."""
    from lab.rollout import flow

    with _refusals():
        checked = flow.analyze(signing_settings(), window)
    console.print(_analysis_table(checked.result, checked.thresholds.window))
    if checked.result.verdict == "fail":
        raise SystemExit(1)


@rollout.command("promote")
@click.option("--force", is_flag=True, help="Promote without a passing analysis.")
def promote(force: bool) -> None:
    """Move `champion` to the challenger when the analysis passes (or --force)."""
    from lab.rollout import flow, operations

    settings = signing_settings()
    with _refusals():
        if force:
            client, reason = flow.client(settings), "forced"
        else:
            checked = flow.analyze(settings, None)
            console.print(_analysis_table(checked.result, checked.thresholds.window))
            if checked.result.verdict != "pass":
                raise LabError(
                    f"analysis says {checked.result.verdict}; not promoting (use --force)"
                )
            client, reason = checked.client, "analysis passed"
        pair = operations.promote(client, settings.MODEL_NAME, reason)
    console.print(f"[green]promoted[/]: {_pair_line(pair)}")
    _print_split(flow.apply_split(client, settings, 0.0))


@rollout.command("abort")
def abort() -> None:
    """Remove the challenger alias and send all traffic to the champion."""
    from lab.rollout import flow, operations

    settings = signing_settings()
    with _refusals():
        client = flow.client(settings)
        pair = operations.abort(client, settings.MODEL_NAME, "aborted by hand")
    console.print(f"[yellow]aborted[/]: {_pair_line(pair)}")
    _print_split(flow.apply_split(client, settings, 0.0))


@rollout.command("rollback")
def rollback() -> None:
    """Put the previous champion back."""
    from lab.rollout import flow, operations

    settings = signing_settings()
    with _refusals():
        pair = operations.rollback(flow.client(settings), settings.MODEL_NAME)
    console.print(f"[yellow]rolled back[/]: {_pair_line(pair)}")
    console.print(f"API: {operations.tell_api(settings, None)}")


@rollout.command("auto")
@click.option("--interval", default=15.0, show_default=True, type=click.FloatRange(1, 3600))
@click.option(
    "--timeout",
    default=600.0,
    show_default=True,
    type=click.FloatRange(5, 86400),
    help="Give up (and abort) when no verdict came in this many seconds.",
)
@click.option("--window", default=None)
def auto(interval: float, timeout: float, window: str | None) -> None:
    """Analyse every INTERVAL seconds; promote on pass, abort on fail or timeout."""
    from lab.rollout import flow

    settings = signing_settings()
    with Live(console=console, refresh_per_second=2, transient=False) as live, _refusals():
        decided = flow.auto(
            settings, interval, timeout, window,
            show=lambda c: live.update(_analysis_table(c.result, c.thresholds.window)),
        )  # fmt: skip
    if decided.promoted:
        console.print(f"[green]promoted[/]: {_pair_line(decided.pair)}")
    else:
        console.print(f"[red]aborted[/] ({decided.why}): {_pair_line(decided.pair)}")
    _print_split(flow.apply_split(decided.checked.client, settings, 0.0))
    if not decided.promoted:
        raise SystemExit(1)
