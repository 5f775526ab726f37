"""The chaos and soak figures as tables (`lab bench --chaos`, `lab bench --soak`)."""

from __future__ import annotations

from dataclasses import asdict

from rich.console import Group
from rich.table import Table
from rich.text import Text

from lab.bench import reliability
from lab.bench.chaos import ChaosResult
from lab.bench.soak import FDS_SLACK, RSS_GROWTH_LIMIT, SoakResult


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def answers_table(title: str, answers: reliability.AnswerFigures) -> Table:
    table = Table(title=title)
    table.add_column("answer")
    table.add_column("count", justify="right")
    for status, count in sorted(answers.by_status.items()):
        table.add_row(status, str(count))
    table.add_row("[bold]outside 2xx / 4xx-for-bad / 502 / 503 / 504[/]", str(answers.undocumented))
    return table


def soak_table(result: SoakResult) -> Table:
    table = Table(
        title=f"soak: {result.minutes:g} min of lab load at {result.rate:g} req/s "
        f"({result.answers.sent} requests in {result.elapsed:.0f} s)"
    )
    for column in ("process", "RSS at 1 min", "RSS at end", "growth", "open fds after 1 min"):
        table.add_column(column, justify="left" if column == "process" else "right")
    for p in result.processes:
        low, high = p.fds_range
        mark = "✔" if p.rss_growth < RSS_GROWTH_LIMIT else "✘"
        table.add_row(
            p.name, _mib(p.rss_start), _mib(p.rss_end), f"{p.rss_growth:+.1%} {mark}",
            f"{low}–{high} {'✔' if high - low <= FDS_SLACK else '✘'}",
        )  # fmt: skip
    table.caption = (
        f"unexpected answers: {result.unexpected} · CRM writes: {result.ledger.matched} "
        f"confirmed, {result.ledger.lost} lost, {result.ledger.doubled} doubled · "
        f"targets: RSS growth < "
        f"{RSS_GROWTH_LIMIT:.0%}, fds flat (±{FDS_SLACK}), 0 unexpected · "
        f"{'PASS' if result.passed else 'FAIL'}"
    )
    return table


def soak_dict(result: SoakResult) -> dict:
    return {
        "minutes": result.minutes,
        "rate": result.rate,
        "requests": result.answers.sent,
        "unexpected": result.unexpected,
        "answers": dict(result.answers.by_status),
        "ledger": asdict(result.ledger),
        "processes": {
            p.name: {
                "rss_at_1_min": p.rss_start,
                "rss_at_end": p.rss_end,
                "rss_growth": round(p.rss_growth, 4),
                "fds_after_1_min": list(p.fds_range),
            }
            for p in result.processes
        },
        "passed": result.passed,
    }


def chaos_tables(result: ChaosResult) -> Group:
    """Kills and recoveries, the answers, and the CRM ledger of a chaos run."""
    kills = Table(title=f"chaos: {result.seconds:g} s of lab load at {result.rate:g} req/s")
    for column in ("killed (-9)", "at s", "pid", "healthy again after s"):
        kills.add_column(column, justify="left" if column.startswith("killed") else "right")
    for k in result.kills:
        back = "never ✘" if k.back_after is None else f"{k.back_after:.1f}"
        kills.add_row(k.name, f"{k.at:.1f}", str(k.pid), back)
    ledger = result.ledger
    writes = Table(title="CRM writes (200 answers of /crm_segment_update vs segment_history)")
    writes.add_column("figure")
    writes.add_column("count", justify="right")
    for label, value in (
        ("200 answers", ledger.ok_answers),
        ("... with exactly the rows they announce", ledger.matched),
        ("lost (announced, no row)", ledger.lost),
        ("doubled (more rows than announced)", ledger.doubled),
        ("rows repeating the customer's previous state", ledger.repeated_rows),
        ("rows of requests that got no 200 (API killed mid-write)", ledger.written_without_200),
    ):
        writes.add_row(label, str(value))
    verdict = Text(
        f"chaos: {'PASS' if result.passed else 'FAIL'} — every process back, "
        f"{result.answers.undocumented} undocumented answers, ledger "
        f"{'clean' if ledger.clean else 'NOT clean'}",
        style="bold green" if result.passed else "bold red",
    )
    return Group(kills, answers_table("chaos answers", result.answers), writes, verdict)
