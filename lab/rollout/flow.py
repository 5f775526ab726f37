"""The rollout as the CLI runs it: analyse the pair, apply a split, promote or abort on a verdict.

`lab rollout` and `lab train --alias challenger` call these and print what they return; every
failure a learner can fix is a `RolloutError` whose message says how.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from mlflow.exceptions import MlflowException

from lab.rollout import analysis, operations
from lab.rollout.operations import Pair, RolloutError
from lab.settings import Settings

__all__ = ["Checked", "Decided", "Split", "analyze", "apply_split", "auto", "client"]


@dataclass(frozen=True)
class Checked:
    """One analysis of the champion against the challenger."""

    client: Any
    pair: Pair
    result: analysis.Analysis
    thresholds: analysis.Thresholds


@dataclass(frozen=True)
class Split:
    """What applying a split did: in the registry, and in the running API."""

    share: float
    recorded: str
    api: str


@dataclass(frozen=True)
class Decided:
    """How `auto` ended: the last analysis, and the pair after promoting or aborting."""

    checked: Checked
    pair: Pair
    promoted: bool
    why: str  # why it aborted ("" when promoted)


def client(settings: Settings) -> Any:
    """The registry client, or `RolloutError` saying the tracking server is not reachable."""
    try:
        return operations.client_for(settings)
    except ConnectionError as exc:
        raise RolloutError(str(exc)) from None


def thresholds(settings: Settings, window: str | None) -> analysis.Thresholds:
    try:
        found = analysis.Thresholds.load(settings.LAB_CONFIG_DIR / "rollout.yml")
    except ValueError as exc:
        raise RolloutError(str(exc)) from None
    return found.model_copy(update={"window": window}) if window else found


def analyze(settings: Settings, window: str | None) -> Checked:
    """Compare both versions on Prometheus over the window (rollout.yml's by default)."""
    registry = client(settings)
    pair = operations.current_pair(registry, settings.MODEL_NAME)
    if pair.challenger_label is None:
        raise RolloutError("there is no challenger: `lab rollout start VERSION` first")
    if pair.challenger_label == pair.champion_label:
        raise RolloutError(
            f"both versions carry the label {pair.champion_label}: metrics can't tell "
            "them apart; train the challenger with its own --model-version"
        )
    limits = thresholds(settings, window)
    try:
        result = analysis.analyze(
            settings.prometheus_url, pair.champion_label, pair.challenger_label, limits
        )
    except (httpx.HTTPError, ValueError, RuntimeError, KeyError, TypeError) as exc:
        raise RolloutError(f"Prometheus at {settings.prometheus_url}: {exc}") from None
    return Checked(registry, pair, result, limits)


def apply_split(registry: Any | None, settings: Settings, share: float) -> Split:
    """Record the challenger's share in the registry (where an API that starts later reads
    it), then tell the running API; a registry that refuses (or cannot be reached: `registry`
    None opens one) is said, not raised."""
    try:
        registry = registry if registry is not None else client(settings)
        recorded = operations.record_split(
            registry, settings.MODEL_NAME, share, settings.LAB_SIGNING_KEY
        )
    except (ConnectionError, MlflowException, RolloutError) as exc:
        recorded = f"NOT recorded in the registry ({exc}); run `lab rollout start` again"
    return Split(share, recorded, operations.tell_api(settings, share))


def auto(
    settings: Settings, interval: float, timeout: float, window: str | None,
    show: Callable[[Checked], None], sleep: Callable[[float], None] = time.sleep,
) -> Decided:  # fmt: skip
    """Analyse every `interval` s (each shown); promote on pass, abort on fail or when no
    verdict came within `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        checked = analyze(settings, window)
        show(checked)
        if checked.result.verdict != "wait" or time.monotonic() + interval > deadline:
            break
        sleep(interval)
    name = settings.MODEL_NAME
    if checked.result.verdict == "pass":
        pair = operations.promote(checked.client, name, "auto: passed")
        return Decided(checked, pair, True, "")
    why = "; ".join(checked.result.reasons) or "no verdict before the timeout"
    pair = operations.abort(checked.client, name, f"auto: {why}")
    return Decided(checked, pair, False, why)
