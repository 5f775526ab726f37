"""lab/rollout/flow.py: the loop `lab rollout auto` runs and the split every step applies."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from lab.rollout import flow, operations
from lab.rollout.operations import Pair, RolloutError
from lab.settings import Settings

PAIR = Pair("1", "v1", "2", "v2")


def _checked(verdict: str, reasons: tuple[str, ...] = ()) -> flow.Checked:
    result = SimpleNamespace(verdict=verdict, reasons=list(reasons))
    window = SimpleNamespace(window="1m")
    return flow.Checked("client", PAIR, result, window)  # type: ignore[arg-type]


@pytest.fixture
def decisions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    done: list[tuple[str, str]] = []

    def step(kind: str) -> Any:
        return lambda client, name, why: done.append((kind, why)) or PAIR

    monkeypatch.setattr(operations, "promote", step("promote"))
    monkeypatch.setattr(operations, "abort", step("abort"))
    return done


def test_auto_waits_for_a_verdict_then_promotes(
    monkeypatch: pytest.MonkeyPatch, decisions: list[tuple[str, str]]
) -> None:
    verdicts = iter(["wait", "wait", "pass"])
    monkeypatch.setattr(flow, "analyze", lambda s, w: _checked(next(verdicts)))
    shown: list[flow.Checked] = []
    slept: list[float] = []
    decided = flow.auto(Settings(), 5, 600, None, shown.append, slept.append)
    assert decided.promoted and decisions == [("promote", "auto: passed")]
    assert len(shown) == 3 and slept == [5, 5]


def test_auto_aborts_on_a_fail_with_the_reasons(
    monkeypatch: pytest.MonkeyPatch, decisions: list[tuple[str, str]]
) -> None:
    monkeypatch.setattr(flow, "analyze", lambda s, w: _checked("fail", ("errors 5% > 1%",)))
    decided = flow.auto(Settings(), 5, 600, None, lambda c: None, lambda s: None)
    assert not decided.promoted and decided.why == "errors 5% > 1%"
    assert decisions == [("abort", "auto: errors 5% > 1%")]


def test_auto_aborts_when_no_verdict_comes_in_time(
    monkeypatch: pytest.MonkeyPatch, decisions: list[tuple[str, str]]
) -> None:
    monkeypatch.setattr(flow, "analyze", lambda s, w: _checked("wait"))
    decided = flow.auto(Settings(), 30, 10, None, lambda c: None, lambda s: None)
    assert decided.why == "no verdict before the timeout"
    assert decisions == [("abort", "auto: no verdict before the timeout")]


def test_a_split_the_registry_refuses_is_said_and_the_api_still_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreachable(settings: Settings) -> Any:
        raise RolloutError("MLflow at http://127.0.0.1:9 does not answer")

    monkeypatch.setattr(flow, "client", unreachable)
    monkeypatch.setattr(operations, "tell_api", lambda settings, share: f"told {share}")
    split = flow.apply_split(None, Settings(), 0.25)
    assert split.recorded.startswith("NOT recorded in the registry (MLflow at")
    assert split.api == "told 0.25"
