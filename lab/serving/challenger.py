"""The `challenger` slot: the model behind `models:/<MODEL_NAME>@challenger`, while it exists.

It is checked right after the champion, at every poll and `/admin/reload`. It never touches
the champion: a challenger that fails to load or verify is refused (logged, counted in
`model_reload_failures_total`, the reason on /health) and its share of traffic goes to the
champion until the alias points at a version that loads. The slot is empty when the alias does
not exist, when it points at the champion's version (e.g. in the middle of a promotion), or when
the version carries the champion's label (the metrics could not tell the two apart).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from lab.serving.loading import LoadedModel, ModelLoadError, RegistryVersion
from lab.serving.registry_client import NoAliasedVersion, RegistryClient, RegistryUnavailable
from lab.training.mlflow_registry import CHALLENGER

log = logging.getLogger("lab.serving.models")
ChallengerOutcome = Literal["reloaded", "unchanged", "failed", "removed"]
Loader = Callable[[RegistryVersion], Awaitable[LoadedModel]]


@dataclass(frozen=True)
class ChallengerResult:
    outcome: ChallengerOutcome
    model: LoadedModel | None
    reason: str | None = None


class ChallengerSlot:
    def __init__(self, registry: RegistryClient, load: Loader, count_failure: Callable[[], None]):
        self._registry = registry
        self._load = load
        self._count_failure = count_failure
        self.current: LoadedModel | None = None
        self.status: str | None = None  # what the registry said at the last check
        self.last_error: str | None = None  # why the last challenger was refused

    async def refresh(self, champion: LoadedModel | None, force: bool) -> ChallengerResult:
        try:
            if not await self._registry.has_alias(CHALLENGER):
                raise NoAliasedVersion(CHALLENGER)
            found = await self._registry.resolve(CHALLENGER)
        except NoAliasedVersion:
            self.status = "no challenger alias: all traffic goes to the champion"
            self.last_error = None
            return self._empty("the challenger alias was removed")
        except RegistryUnavailable as exc:
            # Like the champion: the model we have is still the best bet while MLflow is away.
            self.status = str(exc)
            return ChallengerResult("unchanged", self.current, str(exc))
        self.status = f"challenger is version {found.version} ({found.label})"
        if champion is not None and champion.registry_version == found.version:
            self.status += ", the champion's version: no split"
            return self._empty("the challenger became the champion")
        if champion is not None and champion.label == found.label:
            return self._failed(
                f"challenger version {found.version} carries the champion's label {found.label}: "
                "the metrics could not tell them apart; train it with its own --model-version"
            )
        current = self.current
        if not force and current is not None and current.registry_version == found.version:
            return ChallengerResult("unchanged", current)
        try:
            model = await self._load(found)
        except (ModelLoadError, RegistryUnavailable, NoAliasedVersion) as exc:
            return self._failed(f"challenger refused: {exc}")
        self.current, self.last_error = model, None
        log.info(
            "challenger loaded",
            extra={"model_version": model.label, "registry_version": model.registry_version,
                   "integrity": model.integrity, "predictor": model.predictor_kind},
        )  # fmt: skip
        return ChallengerResult("reloaded", model)

    def _empty(self, why: str) -> ChallengerResult:
        previous, self.current = self.current, None
        if previous is None:
            return ChallengerResult("unchanged", None)
        log.info("challenger removed", extra={"model_version": previous.label, "reason": why})
        return ChallengerResult("removed", None, why)

    def _failed(self, reason: str) -> ChallengerResult:
        previous, self.current = self.current, None
        repeated = reason == self.last_error and previous is None
        self.last_error = reason
        self._count_failure()
        if not repeated:  # the same refusal at every poll is logged once
            log.warning(
                "challenger refused; its traffic goes to the champion",
                extra={"reason": reason, "previous": previous.label if previous else None},
            )
        return ChallengerResult("failed", None, reason)
