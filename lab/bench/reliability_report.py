"""The chaos and soak figures as tables (`lab bench --chaos`, `lab bench --soak`)."""

from __future__ import annotations

from rich.table import Table

from lab.bench import reliability
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
        f"unexpected answers: {result.unexpected} · targets: RSS growth < "
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
