"""`lab rollout`: champion/challenger with automated analysis on Prometheus."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click
from rich.live import Live
from rich.table import Table

from lab.cli._common import LabError, console, get_settings

if TYPE_CHECKING:  # imported on use: `lab.rollout.operations` pulls in MLflow and sklearn
    from lab.rollout import analysis, operations


def _thresholds(settings, window: str | None) -> analysis.Thresholds:
    from lab.rollout import analysis

    try:
        t = analysis.Thresholds.load(settings.LAB_CONFIG_DIR / "rollout.yml")
        return t.model_copy(update={"window": window}) if window else t
    except ValueError as exc:
        raise LabError(str(exc)) from None


def _client(settings):
    from lab.rollout import operations

    try:
        return operations.client_for(settings)
    except ConnectionError as exc:
        raise LabError(str(exc)) from None


def _pair_line(pair: operations.Pair) -> str:
    challenger = (
        "none" if pair.challenger_version is None
        else f"v{pair.challenger_version} ({pair.challenger_label})"
    )  # fmt: skip
    return f"champion v{pair.champion_version} ({pair.champion_label}), challenger {challenger}"


def _run(step):
    from lab.rollout import operations

    try:
        return step()
    except operations.RolloutError as exc:
        raise LabError(str(exc)) from None


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


def _analyze(settings, window):
    from lab.rollout import analysis, operations

    client = _client(settings)
    pair = _run(lambda: operations.current_pair(client, settings.MODEL_NAME))
    if pair.challenger_label is None:
        raise LabError("there is no challenger: `lab rollout start VERSION` first")
    if pair.challenger_label == pair.champion_label:
        raise LabError(
            f"both versions carry the label {pair.champion_label}: metrics can't tell "
            "them apart; train the challenger with its own --model-version"
        )
    t = _thresholds(settings, window)
    try:
        result = analysis.analyze(
            settings.prometheus_url, pair.champion_label, pair.challenger_label, t
        )
    except Exception as exc:
        raise LabError(f"Prometheus at {settings.prometheus_url}: {exc}") from None
    return client, result, t


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
    from lab.rollout import operations

    settings = get_settings()
    client = _client(settings)
    pair = _run(lambda: operations.start(client, settings.MODEL_NAME, version))
    console.print(_pair_line(pair))
    _record_and_tell(client, settings, share)


@rollout.command("analyze")
@click.option("--window", default=None, help="PromQL range, e.g. 2m (default from rollout.yml).")
def analyze_cmd(window: str | None) -> None:
    """Compare both versions over a window and print the verdict (exit 1 on fail)."""
    settings = get_settings()
    _, result, t = _analyze(settings, window)
    console.print(_analysis_table(result, t.window))
    if result.verdict == "fail":
        raise SystemExit(1)


@rollout.command("promote")
@click.option("--force", is_flag=True, help="Promote without a passing analysis.")
def promote(force: bool) -> None:
    """Move `champion` to the challenger when the analysis passes (or --force)."""
    from lab.rollout import operations

    settings = get_settings()
    if force:
        client, reason = _client(settings), "forced"
    else:
        client, result, t = _analyze(settings, None)
        console.print(_analysis_table(result, t.window))
        if result.verdict != "pass":
            raise LabError(f"analysis says {result.verdict}; not promoting (use --force)")
        reason = "analysis passed"
    pair = _run(lambda: operations.promote(client, settings.MODEL_NAME, reason))
    console.print(f"[green]promoted[/]: {_pair_line(pair)}")
    _record_and_tell(client, settings, 0.0)


@rollout.command("abort")
def abort() -> None:
    """Remove the challenger alias and send all traffic to the champion."""
    from lab.rollout import operations

    settings = get_settings()
    client = _client(settings)
    pair = _run(lambda: operations.abort(client, settings.MODEL_NAME, "aborted by hand"))
    console.print(f"[yellow]aborted[/]: {_pair_line(pair)}")
    _record_and_tell(client, settings, 0.0)


@rollout.command("rollback")
def rollback() -> None:
    """Put the previous champion back."""
    from lab.rollout import operations

    settings = get_settings()
    client = _client(settings)
    pair = _run(lambda: operations.rollback(client, settings.MODEL_NAME))
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
    from lab.rollout import operations

    settings = get_settings()
    deadline = time.monotonic() + timeout
    with Live(console=console, refresh_per_second=2, transient=False) as live:
        while True:
            client, result, t = _analyze(settings, window)
            live.update(_analysis_table(result, t.window))
            if result.verdict != "wait" or time.monotonic() + interval > deadline:
                break
            time.sleep(interval)
    if result.verdict == "pass":
        pair = _run(lambda: operations.promote(client, settings.MODEL_NAME, "auto: passed"))
        console.print(f"[green]promoted[/]: {_pair_line(pair)}")
    else:
        why = "; ".join(result.reasons) or "no verdict before the timeout"
        pair = _run(lambda: operations.abort(client, settings.MODEL_NAME, f"auto: {why}"))
        console.print(f"[red]aborted[/] ({why}): {_pair_line(pair)}")
    _record_and_tell(client, settings, 0.0)
    if result.verdict != "pass":
        raise SystemExit(1)


def _record_and_tell(client, settings, share: float) -> None:
    """Record the split in the registry (where an API that starts later reads it), then tell
    the running API; both outcomes printed."""
    from lab.rollout import operations

    recorded = _run(lambda: operations.record_split(client, settings.MODEL_NAME, share))
    console.print(f"challenger split {share:.0%} {recorded}", soft_wrap=True)
    console.print(f"API: {operations.tell_api(settings, share)}", soft_wrap=True)
