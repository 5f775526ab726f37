"""The one machine-readable line of `lab bench --chaos|--soak`, and its exit code."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner

from lab.bench import chaos, reliability, soak, summary
from lab.cli import main


def chaos_result(lost: int = 0, doubled: int = 0) -> chaos.ChaosResult:
    answers = reliability.AnswerFigures(
        sent=10, by_status=Counter({"200": 6, "422": 1, "503": 2, "no answer": 1}), no_answer=1
    )
    ledger = reliability.LedgerFigures(ok_answers=3, matched=3 - lost - doubled, lost=lost,
                                       doubled=doubled)  # fmt: skip
    growth = [
        reliability.Growth(
            "api", reliability.Sample(0, 100, 10), reliability.Sample(60, 150, 12), restarted=True
        ),
        reliability.Growth("crm", reliability.Sample(0, 200, 20), None),
    ]
    kills = [chaos.Kill("crm", 10.0, 1, back_after=2.5)]
    return chaos.ChaosResult(60.0, 50.0, kills, answers, ledger, processes=growth)


def parsed(text: str) -> dict:
    lines = [line for line in text.splitlines() if line.startswith(summary.PREFIX + " ")]
    assert len(lines) == 1, text
    return json.loads(lines[0].removeprefix(summary.PREFIX + " "))


def test_the_chaos_line_has_answers_by_class_writes_and_growth_per_process() -> None:
    got = parsed(summary.line(summary.chaos_summary(chaos_result())))
    assert got["bench"] == "chaos" and got["passed"] is True
    assert got["answers"] == {"2xx": 6, "3xx": 0, "4xx": 1, "5xx": 2, "no_answer": 1}
    assert got["writes"] == {"answered_200": 3, "confirmed": 3, "lost": 0, "doubled": 0}
    assert got["processes"]["api"] == {
        "rss_growth_bytes": 50, "rss_growth": 0.5, "fds_growth": 2, "restarted": True,
    }  # fmt: skip
    assert got["processes"]["crm"]["rss_growth"] is None  # not sampled at the end
    assert got["kills"] == {"crm": 2.5}


def test_the_soak_line_measures_growth_after_the_warmup() -> None:
    figures = soak.ProcessFigures("api", warmup=15.0)
    figures.samples = [reliability.Sample(t, rss, 9) for t, rss in ((5, 50), (15, 100), (60, 105))]
    result = soak.SoakResult(1.0, 50.0, [figures], reliability.AnswerFigures(sent=0), 0, 60.0)
    got = parsed(summary.line(summary.soak_summary(result)))
    assert got["bench"] == "soak" and got["seconds"] == 60.0
    assert got["processes"]["api"]["rss_growth"] == 0.05  # from 15 s, not from 5 s
    assert got["writes"]["lost"] == 0 and got["passed"] is True


@pytest.mark.parametrize(("lost", "doubled"), [(0, 0), (1, 0), (0, 1)])
def test_a_lost_or_doubled_write_exits_non_zero_after_printing_the_line(
    monkeypatch: pytest.MonkeyPatch, lost: int, doubled: int
) -> None:
    seen: dict[str, float] = {}

    def run(seconds: float, **_: object) -> chaos.ChaosResult:
        seen["seconds"] = seconds
        result = chaos_result(lost, doubled)
        result.kills[0].back_after = 1.0
        return result

    monkeypatch.setattr(chaos, "run", run)
    done = CliRunner().invoke(main, ["bench", "--chaos", "--duration", "60"])
    got = parsed(done.output)
    assert seen["seconds"] == 60
    assert (got["writes"]["lost"], got["writes"]["doubled"]) == (lost, doubled)
    assert done.exit_code == (0 if lost == doubled == 0 else 1), done.output
