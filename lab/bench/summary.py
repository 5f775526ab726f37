"""The one machine-readable line `lab bench --chaos` and `--soak` print: `lab-bench-summary {...}`.

One JSON object on one line, prefixed so a script (or CI) can grep it from the tables:

    lab-bench-summary {"bench": "chaos", "seconds": 60, "rate": 50, "requests": 3000,
      "answers": {"2xx": ..., "4xx": ..., "5xx": ..., "no_answer": ...}, "undocumented": 0,
      "writes": {"confirmed": 234, "lost": 0, "doubled": 0, "answered_200": 234},
      "processes": {"api": {"rss_growth_bytes": ..., "rss_growth": 0.001, "fds_growth": 0,
      "restarted": true}, ...}, "passed": true}

(shown wrapped here; it is printed on one line). `writes.confirmed` counts the 200 answers of
/crm_segment_update whose CRM history rows match what they announced; `lost` and `doubled` are
the ones that do not. The run exits non-zero when `passed` is false (a lost or doubled write
included).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from lab.bench import reliability
from lab.bench.chaos import ChaosResult
from lab.bench.soak import SoakResult

__all__ = ["PREFIX", "chaos_summary", "line", "soak_summary"]

PREFIX = "lab-bench-summary"


def line(summary: dict[str, Any]) -> str:
    """The summary as its one printed line."""
    return f"{PREFIX} {json.dumps(summary, sort_keys=True, separators=(',', ':'))}"


def answer_classes(answers: reliability.AnswerFigures) -> dict[str, int]:
    classes = {"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, "no_answer": 0}
    for status, count in answers.by_status.items():
        key = "no_answer" if not str(status).isdigit() else f"{str(status)[0]}xx"
        classes[key] = classes.get(key, 0) + count
    return classes


def _writes(ledger: reliability.LedgerFigures) -> dict[str, int]:
    return {
        "answered_200": ledger.ok_answers,
        "confirmed": ledger.matched,
        "lost": ledger.lost,
        "doubled": ledger.doubled + ledger.repeated_rows,
    }


def _processes(growth: Iterable[reliability.Growth]) -> dict[str, dict[str, Any]]:
    return {
        g.name: {
            "rss_growth_bytes": g.rss_growth_bytes,
            "rss_growth": None if g.rss_growth is None else round(g.rss_growth, 4),
            "fds_growth": g.fds_growth,
            "restarted": g.restarted,
        }
        for g in growth
    }


def chaos_summary(result: ChaosResult) -> dict[str, Any]:
    return {
        "bench": "chaos",
        "seconds": result.seconds,
        "rate": result.rate,
        "requests": result.answers.sent,
        "answers": answer_classes(result.answers),
        "undocumented": result.answers.undocumented,
        "writes": _writes(result.ledger),
        "processes": _processes(result.processes),
        "kills": {k.name: k.back_after for k in result.kills},
        "passed": result.passed,
    }


def soak_summary(result: SoakResult) -> dict[str, Any]:
    growth = [
        reliability.Growth(p.name, p.first_after_warmup, p.samples[-1] if p.samples else None)
        for p in result.processes
    ]
    return {
        "bench": "soak",
        "seconds": result.minutes * 60,
        "rate": result.rate,
        "requests": result.answers.sent,
        "answers": answer_classes(result.answers),
        "undocumented": result.answers.undocumented,
        "writes": _writes(result.ledger),
        "processes": _processes(growth),
        "passed": result.passed,
    }
