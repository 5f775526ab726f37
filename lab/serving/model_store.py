"""The models the API serves, and how they change: start-up load, alias polling, forced reload.

Two slots: the champion (below) and the challenger (`lab.serving.challenger`, only while the
`challenger` alias exists), with the traffic split between them (`lab.serving.split`).
`store.choose(customer_id)` is the model that answers a request. Where the champion comes from,
in order:
1. the MLflow registry's `models:/<MODEL_NAME>@champion`;
2. when the registry is unreachable or has no champion: `<LAB_HOME>/models/sample_model.skops`,
   loaded with skops only after its SHA-256 matches `sample_model.json` (the `.joblib` beside it
   is the course's file: never unpickled here);
3. neither: the API still runs, `/health` says `model_loaded: false` and why, `/predict` is 503.

A new model is loaded in a worker thread, checked, and swapped in with one assignment: a request
reads `store.current` once, so in-flight requests finish on the model they started with. A load
that fails keeps the old model, is logged with its reason and counted in
`model_reload_failures_total`. Each uvicorn worker keeps its own store and polls on its own.
When the champion alias moves to the version the challenger slot holds (a promotion), that
loaded model becomes the champion as it is: no download, and its drift window goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import anyio.to_thread

from lab.serving.background import background
from lab.serving.challenger import ChallengerResult, ChallengerSlot
from lab.serving.drift_metrics import DriftMetrics
from lab.serving.drift_window import DriftWindow
from lab.serving.loading import (
    LoadedModel,
    ModelLoadError,
    RegistryVersion,
    load_file,
    load_registry,
    now_iso,
)
from lab.serving.metrics import CHALLENGER, CHAMPION, ServingMetrics, multiprocess_dir
from lab.serving.registry_client import NoAliasedVersion, RegistryClient, RegistryUnavailable
from lab.serving.split import TrafficSplit
from lab.settings import Settings
from lab.training.manifest import ModelIntegrityError, read_manifest
from lab.training.mlflow_registry import SPLIT_TAG
from lab.training.signing import UnsignedStateError

log = logging.getLogger("lab.serving.models")
Outcome = Literal["reloaded", "unchanged", "failed"]


class ModelUnavailable(RuntimeError):
    """No model is loaded; the message says why and what to do."""


@dataclass(frozen=True)
class RefreshResult:
    outcome: Outcome
    model: LoadedModel | None
    reason: str | None = None


@dataclass(frozen=True)
class Refreshed:
    champion: RefreshResult
    challenger: ChallengerResult


class ModelStore:
    """Holds the champion (`current`) and the challenger, and replaces them atomically."""

    def __init__(
        self,
        settings: Settings,
        metrics: ServingMetrics,
        registry: RegistryClient | None = None,
        drift: DriftMetrics | None = None,
    ):
        self._settings = settings
        self._metrics = metrics
        self._drift = drift
        self._registry = registry or RegistryClient(
            settings.tracking_uri, settings.MODEL_NAME, signing_key=settings.LAB_SIGNING_KEY
        )
        self._current: LoadedModel | None = None
        self.challenger = ChallengerSlot(
            self._registry, self._load_registry, metrics.reload_failures.inc
        )
        self.split = TrafficSplit(settings.CHALLENGER_SHARE, multiprocess_dir())
        self._registry_share: float | None = None  # the registry's SPLIT_TAG as last read
        #: why the registry's recorded split is not applied (not signed by the lab), or None
        self.split_refused: str | None = None
        metrics.challenger_share.set(self.split.share)
        self._lock = asyncio.Lock()
        self._registry_down = False
        self.reason: str = "the model has not been loaded yet (the API is starting)"
        self.last_error: str | None = None
        self.registry_status: str | None = None
        self.checked_at: str | None = None

    @property
    def current(self) -> LoadedModel | None:
        """The serving model, or None. Read it once per request."""
        return self._current

    def get(self) -> LoadedModel:
        """The champion; raises `ModelUnavailable` with the reason when there is none."""
        model = self._current
        if model is None:
            raise ModelUnavailable(self.reason)
        return model

    def choose(self, customer_id: str | None = None) -> LoadedModel | None:
        """The model that answers this request (hot path): the challenger for its share of the
        traffic (sticky by `customer_id`, random without), else the champion; None: no model."""
        champion, challenger = self._current, self.challenger.current
        if challenger is None or champion is None:
            return champion
        return challenger if self.split.to_challenger(customer_id, challenger.label) else champion

    def pick(self, customer_id: str | None = None) -> LoadedModel:
        """`choose`, raising `ModelUnavailable` with the reason when no model is loaded."""
        model = self.choose(customer_id)
        if model is None:
            raise ModelUnavailable(self.reason)
        return model

    async def refresh(self, force: bool = False) -> Refreshed:
        """Check the registry (champion: then the file) and load what differs from what serves.

        `force` reloads even when the version looks unchanged (re-verifying the file).
        """
        async with self._lock:
            try:
                champion = await self._refresh(force)
                if not self._registry_down:
                    await self._follow_registry_split()
                if self._registry_down:  # asking again would only wait for the same timeout
                    challenger = ChallengerResult("unchanged", self.challenger.current)
                else:
                    challenger = await self.challenger.refresh(self._current, force)
            finally:
                self._publish()
            self.checked_at = now_iso()
            return Refreshed(champion, challenger)

    async def _refresh(self, force: bool) -> RefreshResult:
        self._registry_down = False
        try:
            found = await self._registry.resolve()
        except (RegistryUnavailable, NoAliasedVersion) as exc:
            self._registry_down = isinstance(exc, RegistryUnavailable)
            self.registry_status = str(exc)
            return await self._from_file(force, registry_reason=str(exc))
        self.registry_status = f"champion is version {found.version} ({found.label})"
        current = self._current
        if (
            not force
            and current is not None
            and current.source == "registry"
            and current.registry_version == found.version
        ):
            return RefreshResult("unchanged", current)
        promoted = self.challenger.current
        if not force and promoted is not None and promoted.registry_version == found.version:
            return self._install(promoted)
        try:
            model = await self._load_registry(found)
        except (ModelLoadError, RegistryUnavailable, NoAliasedVersion) as exc:
            failed = self._failed(str(exc))
            if self._current is None:
                fallback = await self._from_file(force, registry_reason=str(exc))
                self.last_error = failed.reason  # /health still says why the registry's was refused
                return fallback
            return failed
        return self._install(model)

    async def _from_file(self, force: bool, registry_reason: str) -> RefreshResult:
        current = self._current
        if current is not None and current.source == "registry":
            # The registry went away or lost its alias: the model we have is still the best bet.
            return RefreshResult("unchanged", current, registry_reason)
        manifest_path = self._settings.manifest_path
        if not manifest_path.exists() and not self._settings.skops_model_path.exists():
            reason = (
                f"{registry_reason}; and there is no model file at "
                f"{self._settings.skops_model_path}: run `lab train`"
            )
            if current is None:
                self.reason = reason
            return RefreshResult("unchanged", current, reason)
        if (
            not force
            and current is not None
            and _file_identity(manifest_path) == _identity(current)
        ):
            return RefreshResult("unchanged", current)
        try:
            model = await anyio.to_thread.run_sync(load_file, manifest_path)
        except ModelLoadError as exc:
            return self._failed(f"model file refused: {exc}")
        return self._install(self._loaded(model))

    async def _load_registry(self, found: RegistryVersion) -> LoadedModel:
        """Download, verify and load a registry version in a worker thread."""
        found = await self._registry.with_download_uri(found)
        model = await anyio.to_thread.run_sync(
            functools.partial(
                load_registry, found, self._registry.tracking_uri,
                allow_unverified=self._settings.ALLOW_UNVERIFIED_MODELS,
                signing_key=self._settings.LAB_SIGNING_KEY,
            )
        )  # fmt: skip
        return self._loaded(model)

    def _loaded(self, model: LoadedModel) -> LoadedModel:
        """A freshly loaded model, with a drift window when it has a reference."""
        # MLflow and sklearn leave ~1M long-lived objects; a full GC pass over them takes
        # milliseconds, which showed up as p99 latency. Exempt what exists now from collection.
        gc.freeze()
        if model.drift_reference is None:
            return model
        return replace(model, window=DriftWindow(self._settings.DRIFT_WINDOW_ROWS))

    def _publish(self) -> None:
        """Metrics and drift tracking follow what serves now (cheap, idempotent)."""
        champion, challenger = self._current, self.challenger.current
        for alias, model in ((CHAMPION, champion), (CHALLENGER, challenger)):
            if model is None:
                self._metrics.serving(alias, None, None, None)
            else:
                self._metrics.serving(alias, model.label, model.registry_version, model.source)
                self._metrics.prepare(model.label)
        if self._drift is not None:
            self._drift.serving([champion, challenger])

    def _install(self, model: LoadedModel) -> RefreshResult:
        self._current = model
        self.reason = ""
        self.last_error = None
        log.info(
            "model loaded",
            extra={
                "model_version": model.label,
                "registry_version": model.registry_version,
                "source": model.source,
                "sha256": model.sha256[:16],
                "integrity": model.integrity,
                "predictor": model.predictor_kind,
            },
        )
        return RefreshResult("reloaded", model)

    def _failed(self, reason: str) -> RefreshResult:
        self._metrics.reload_failures.inc()
        repeated = reason == self.last_error  # the same failure at every poll: logged once
        self.last_error = reason
        current = self._current
        if current is None:
            self.reason = reason
            if not repeated:
                log.warning("model load failed; no model to serve", extra={"reason": reason})
        elif not repeated:
            log.warning(
                "model load failed; still serving the previous model",
                extra={"reason": reason, "model_version": current.label},
            )
        return RefreshResult("failed", current, reason)

    def set_share(self, share: float) -> None:
        """Change the challenger's share of traffic (this worker now, the others at their poll)."""
        self.split.set(share)
        self._metrics.challenger_share.set(share)

    async def record_share(self, share: float) -> str:
        """POST /admin/split: record the share in the registry beside the alias (so an API that
        starts later serves it), then apply it here; says what was recorded."""
        try:
            await self._registry.record_split(share)
            recorded = f"recorded in the registry ({self._settings.MODEL_NAME} tag {SPLIT_TAG})"
            self._registry_share = share
        except (RegistryUnavailable, NoAliasedVersion) as exc:
            recorded = f"NOT recorded in the registry ({exc}): an API started later will not see it"
        self.set_share(share)
        return recorded

    async def _follow_registry_split(self) -> None:
        """Apply the share recorded in the registry when it changed since we last read it (at
        start: whenever one is recorded); CHALLENGER_SHARE applies until one is."""
        try:
            share = await self._registry.split_share()
        except (RegistryUnavailable, NoAliasedVersion) as exc:
            log.warning("the recorded split could not be read", extra={"reason": str(exc)})
            return
        except UnsignedStateError as exc:  # any MLflow client can set the tag: not applied
            if str(exc) != self.split_refused:
                log.warning("the recorded split is ignored", extra={"reason": str(exc)})
            self.split_refused = str(exc)
            return
        self.split_refused = None
        if share is None or share == self._registry_share:
            return
        self._registry_share = share
        if share != self.split.share:
            self.split.set(share, set_by="registry")
            self._metrics.challenger_share.set(share)

    def sync_split(self) -> None:
        """Follow another worker's split; the gauge is set on a change only (livemostrecent)."""
        if self.split.sync():
            self._metrics.challenger_share.set(self.split.share)

    async def poll_forever(self) -> None:
        """Refresh every MODEL_POLL_SECONDS; an unexpected error is logged, never fatal."""
        while True:
            await asyncio.sleep(self._settings.MODEL_POLL_SECONDS)
            try:
                self.sync_split()
                await self.refresh()
            except Exception:
                log.exception("model poll failed unexpectedly; polling goes on")

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: object) -> AsyncIterator[None]:
        """Litestar lifespan: first load before serving, then poll until shutdown."""
        try:
            await self.refresh()
        except Exception:
            log.exception("initial model load failed unexpectedly; starting without a model")
        try:
            async with background(self.poll_forever(), "model-poll"):
                yield
        finally:
            await self._registry.aclose()


def _identity(model: LoadedModel) -> tuple[str, str, str | None]:
    return model.sha256, model.label, model.registry_version


def _file_identity(manifest_path: Path) -> tuple[str, str, str | None] | None:
    """What the manifest names now: a change there means a new model file to load."""
    try:
        manifest = read_manifest(manifest_path)
    except ModelIntegrityError:
        return None
    return manifest.skops_sha256, manifest.label, manifest.registry_version
