"""`lab segment`: re-score customers and write their segments to the CRM."""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lab.cli._common import LabError, console, get_settings
from lab.ids import RUN_ID_PATTERN
from lab.settings import Settings

if TYPE_CHECKING:
    from lab.integration.batch import BatchOptions, BatchSummary
    from lab.integration.segments import SegmentRules


def _check_run_id(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(RUN_ID_PATTERN, value):
        raise click.BadParameter("use 1-40 letters, digits, '_', '.', ':' or '-'")
    return value


@click.command("segment")
@click.argument("customer_ids", nargs=-1)
@click.option("--all", "everyone", is_flag=True, help="Re-score every customer in the CRM.")
@click.option(
    "--chunk-size",
    default=500,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Customers per batch /predict call (--all).",
)
@click.option(
    "--concurrency",
    default=16,
    show_default=True,
    type=click.IntRange(1, 64),
    help="CRM calls in flight at once (--all).",
)
@click.option("--dry-run", is_flag=True, help="Score and count segments, write nothing (--all).")
@click.option(
    "--run-id",
    default=None,
    metavar="ID",
    callback=lambda _ctx, _param, value: _check_run_id(value),
    help="Re-use a run id to resume a batch without writing any customer twice.",
)
def segment(
    customer_ids: tuple[str, ...], everyone: bool, chunk_size: int, concurrency: int,
    dry_run: bool, run_id: str | None,
) -> None:  # fmt: skip
    """Re-score customers and write their segments to the CRM (the API and the CRM must run).

    \b
    lab segment CUST_TEST_007 CUST001   one by one through the API's /crm_segment_update
    lab segment --all                   every customer: batch /predict, then CRM writes

    Segments come from the rules in config/segments.yml (SEGMENT_RULES_FILE).
    """
    settings = get_settings()
    if everyone == bool(customer_ids):
        raise click.UsageError("give customer ids or --all (not both)")
    if everyone:
        _rescore_all(settings, chunk_size, concurrency, dry_run, run_id)
    else:
        _update_some(settings, customer_ids)


def _update_some(settings: Settings, customer_ids: tuple[str, ...]) -> None:
    from lab.integration.through_api import ApiUnreachable, update_through_api

    table = Table("customer", "old segment", "new segment", "probability", "model", "request id")
    failed = 0
    try:
        for answer in update_through_api(settings, customer_ids):
            body = answer.body
            if not answer.ok:
                failed += 1
                console.print(
                    f"[red]{answer.customer_id}[/]: HTTP {answer.status} {body.get('detail')}"
                )
                continue
            table.add_row(
                answer.customer_id, str(body["old_segment"]), body["new_segment"],
                f"{body['probability']:.4f}", body["model_version"], body["request_id"],
            )  # fmt: skip
    except ApiUnreachable as exc:
        raise LabError(str(exc)) from None
    if table.row_count:
        console.print(table)
    if failed:
        raise LabError(f"{failed} of {len(customer_ids)} updates failed")


def _rescore_all(
    settings: Settings, chunk_size: int, concurrency: int, dry_run: bool, run_id: str | None
) -> None:
    from lab.integration.batch import BatchError, BatchOptions
    from lab.integration.segments import SegmentRulesError, load_rules

    try:
        rules = load_rules(settings.segment_rules_file)
    except SegmentRulesError as exc:
        raise LabError(str(exc)) from None
    extra = {"run_id": run_id} if run_id else {}
    options = BatchOptions(chunk_size=chunk_size, concurrency=concurrency, dry_run=dry_run, **extra)
    # Printed first, so a run that crashes can be resumed without writing anyone twice.
    console.print(
        f"run id {options.run_id} (resume with `lab segment --all --run-id {options.run_id}`)",
        soft_wrap=True,
    )
    started = time.perf_counter()
    try:
        summary = asyncio.run(_run(settings, rules, options))
    except BatchError as exc:
        raise LabError(str(exc)) from None
    elapsed = time.perf_counter() - started
    table = Table(
        "segment", "customers", title=f"run {summary.run_id} · model {summary.model_version}"
    )
    for name in rules.names:
        table.add_row(name, str(summary.segments.get(name, 0)))
    console.print(table)
    verb = "would write" if dry_run else "wrote"
    console.print(
        f"{verb} {sum(summary.segments.values()) if dry_run else summary.written} of "
        f"{summary.customers} customers in {elapsed:.1f} s "
        f"({summary.customers / max(elapsed, 1e-9):.0f}/s); {summary.unchanged} kept their segment"
    )
    for cid, reason in list(summary.failures.items())[:10]:
        console.print(f"[yellow]skipped[/] {cid}: {reason}")
    if summary.failures:
        raise LabError(
            f"{len(summary.failures)} customers skipped (listed above); run id {summary.run_id}"
        )


async def _run(settings: Settings, rules: SegmentRules, options: BatchOptions) -> BatchSummary:
    from lab.crm.client import CrmClient
    from lab.integration.batch import ApiScorer, rescore_all

    columns = (
        TextColumn("[bold]re-scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    )  # fmt: skip
    scorer = ApiScorer(settings)
    try:
        async with CrmClient(settings) as crm:
            with Progress(*columns, console=console, transient=False) as progress:
                task = progress.add_task("customers", total=None)
                return await rescore_all(
                    crm, scorer, rules, options,
                    on_total=lambda n: progress.update(task, total=n),
                    on_done=lambda k: progress.advance(task, k),
                )  # fmt: skip
    finally:
        await scorer.aclose()
