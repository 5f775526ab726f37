"""`lab load`: send a bounded mix of traffic to the API and print what came back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lab.cli._common import LabError, console, get_settings
from lab.observability import shift

if TYPE_CHECKING:  # numpy and httpx load when `lab load` runs, not with every `lab` command
    from lab.observability import load as load_mod


def _mix(value: str) -> dict[str, float]:
    try:
        pairs = [part.split("=", 1) for part in value.split(",") if part.strip()]
        return {k.strip(): float(v) for k, v in pairs}
    except ValueError:
        raise click.BadParameter(
            "write it as kind=weight pairs, e.g. predict=60,batch=15,crm=20,bad=5"
        ) from None


@click.command("load")
@click.option("--rate", default=10.0, show_default=True, type=float, help="Requests per second.")
@click.option(
    "--duration", default=60.0, show_default=True, type=float, help="Stop after this many seconds."
)
@click.option("--count", default=None, type=int, help="Stop after this many requests (earlier).")
@click.option(
    "--mix",
    default="predict=60,batch=15,crm=20,bad=5",
    show_default=True,
    help="Weights of single predictions, batch predictions, CRM updates and bad requests.",
)
@click.option("--batch-size", default=5, show_default=True, type=int, help="Rows per batch call.")
@click.option("--seed", default=42, show_default=True, type=int, help="Seed of the request mix.")
@click.option(
    "--drift",
    is_flag=True,
    help="Send drifted inputs: the rows of single and batch predictions get "
    f"{shift.describe(shift.SHIFTS)}.",
)
@click.option(
    "--drift-features",
    metavar="NAMES",
    default=None,
    help=f"Shift only these (comma-separated; implies --drift). One of {', '.join(shift.SHIFTS)}.",
)
def load(
    rate: float, duration: float, count: int | None, mix: str, batch_size: int, seed: int,
    drift: bool, drift_features: str | None,
) -> None:  # fmt: skip
    """Send traffic to the API (API_HOST:API_PORT) so Prometheus and Grafana have data.

    A seeded mix of single and batch predictions, CRM segment updates (customers listed by the
    CRM at CRM_URL) and a small share of bad requests, which must come back as 4xx. It stops
    after --duration seconds or --count requests, whichever comes first, and prints a summary.
    Exit code 1 if any answer was unexpected: no answer, a good request not answered with a
    2xx, or a bad request not answered with a 4xx.

    --drift moves five input features well outside the training data while keeping every value
    valid (the API still answers 200), so the dashboard's drift row rises above the 0.25 PSI
    line and the FeatureDrift alert fires (after DRIFT_ALERT_FOR, 1m by default) once more
    than 30% of the features drifted. The API measures drift over each version's last
    DRIFT_WINDOW_ROWS scored rows (1000; none before DRIFT_MIN_ROWS, 200), so the lines move
    within seconds and a minute at the default rate replaces the whole window; normal
    `lab load` traffic brings them back down. CRM updates score the CRM's stored customers and
    are not shifted.

    \b
    Examples:
      lab load --rate 20 --duration 120
      lab load --drift --duration 90
      lab load --drift-features monthly_spend   (one feature of ten: drifted, but no alert)
    """
    from lab.observability import load as load_mod

    settings = get_settings()
    try:
        plan = load_mod.LoadPlan(
            rate=rate,
            duration=duration,
            count=count,
            mix=_mix(mix),
            batch_size=batch_size,
            seed=seed,
            drift=_drift(drift, drift_features),
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    columns = (
        TextColumn("[bold]load[/] {task.fields[last]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    console.print(f"Sending about {plan.planned} requests to {settings.api_url} at {rate:g}/s")
    if plan.drift:
        console.print(f"[bold]Drifted inputs:[/] {shift.describe(plan.drift)}")
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("load", total=plan.planned, last="")

        def show(sent: load_mod.Sent, _elapsed: float) -> None:
            bar.update(task, advance=1, last=f"{sent.kind} → {sent.status or 'no answer'}")

        try:
            summary = load_mod.run(
                plan, settings.api_url, settings.crm_url, on_sent=show,
                api_token=settings.API_TOKEN,
            )  # fmt: skip
        except load_mod.LoadError as exc:
            raise LabError(str(exc)) from None
    _print_summary(summary)
    if plan.drift:
        console.print(
            "Watch feature_drift_psi and drifted_features_share (the dashboard's drift row) and "
            f"the FeatureDrift alert at {settings.prometheus_url}/alerts"
        )
    if summary.unexpected:
        raise LabError(f"{summary.unexpected} unexpected answers (see the table above)")


def _drift(drift: bool, features: str | None) -> tuple[str, ...]:
    if features is not None:
        return shift.check_features(f.strip() for f in features.split(",") if f.strip())
    return tuple(shift.SHIFTS) if drift else ()


def _print_summary(summary: load_mod.Summary) -> None:
    for notice in summary.notices:
        console.print(f"[yellow]notice:[/] {notice}")
    table = Table(title=f"{len(summary.results)} requests in {summary.elapsed:.1f} s")
    for column in ("kind", "sent", "2xx", "4xx", "5xx", "no answer", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, counts in sorted(summary.by_kind().items()):
        p50, p95 = summary.latency_ms(kind, 0.5), summary.latency_ms(kind, 0.95)
        table.add_row(
            kind,
            str(sum(counts.values())),
            *(str(counts.get(c, 0)) for c in ("2xx", "4xx", "5xx", "no answer")),
            f"{p50:.1f}" if p50 is not None else "-",
            f"{p95:.1f}" if p95 is not None else "-",
        )
    console.print(table)
