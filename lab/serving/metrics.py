"""The API's Prometheus metrics and the `/metrics` endpoint.

One `CollectorRegistry` per app (`ServingMetrics.registry`, also `app.state.metrics_registry`):
every metric of the app, including other routers', is created with `registry=` that registry.

- One worker: `/metrics` renders that registry plus prometheus_client's default one, which holds
  Litestar's HTTP metrics (its Prometheus plugin registers there) and the process/GC metrics.
- `lab serve --workers N`: `PROMETHEUS_MULTIPROC_DIR` is set to a fresh folder under LAB_HOME
  before the workers start; each worker writes its samples there and `/metrics` (answered by any
  worker) aggregates all of them with `MultiProcessCollector`. A gauge must say how to aggregate
  (`multiprocess_mode=`, e.g. "livemax"); process metrics are not available in this mode.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final

from litestar import Response, get
from litestar.datastructures import State
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from lab import metric_names as m
from lab.settings import Settings

#: Sub-millisecond to seconds; the latency SLO (LATENCY_SLO_SECONDS) is added as a boundary.
BASE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.25, 0.5, 1.0)
NO_MODEL = "none"
CHAMPION: Final = "champion"
CHALLENGER: Final = "challenger"
OK, INVALID, UNAVAILABLE, ERROR = OUTCOMES = m.PREDICTION_OUTCOMES


def latency_buckets(slo_seconds: float) -> tuple[float, ...]:
    return tuple(sorted({*BASE_BUCKETS, float(slo_seconds), 2.5, 5.0}))


def multiprocess_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


class ServingMetrics:
    """The prediction and model metrics (names are a contract: DESIGN.md, dashboards, alerts)."""

    def __init__(self, settings: Settings):
        self.registry = CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            m.PREDICTIONS,
            "Calls of /predict by the model version that answered and outcome "
            "(ok, invalid, unavailable, error).",
            ["model_version", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            m.LATENCY,
            "Time to parse, validate and score one /predict call, in seconds.",
            ["model_version"],
            buckets=latency_buckets(settings.LATENCY_SLO_SECONDS),
            registry=registry,
        )
        self.rows = Counter(
            m.PREDICTED_ROWS,
            "Rows scored by /predict (a batch call counts each of its rows).",
            ["model_version"],
            registry=registry,
        )
        self.churn_rows = Counter(
            m.PREDICTED_CHURN,
            "Rows /predict scored as churn (class 1); divided by prediction_rows_total it is "
            "the version's predicted churn rate.",
            ["model_version"],
            registry=registry,
        )
        self.model_loaded = Gauge(
            m.MODEL_LOADED,
            "1 for each model version this API serves (alias champion or challenger), 0 for "
            "versions it served before.",
            ["model_version", "registry_version", "source", "alias"],
            multiprocess_mode="livemax",
            registry=registry,
        )
        self.challenger_share = Gauge(
            m.CHALLENGER_SHARE,
            "Share of /predict and /crm_segment_update traffic the split sends to the "
            "challenger (0 to 1; it only takes effect while a challenger is loaded).",
            multiprocess_mode="livemostrecent",
            registry=registry,
        )
        self.reload_failures = Counter(
            m.RELOAD_FAILURES,
            "Attempts to load a new model that failed (the previous model kept serving).",
            registry=registry,
        )
        none = (NO_MODEL, NO_MODEL, NO_MODEL)
        self._serving: dict[str, tuple[str, str, str]] = {CHAMPION: none}
        self.model_loaded.labels(*none, CHAMPION).set(0)
        self._children: dict[str, dict[str, Any]] = {}

    def observe(
        self, version: str, outcome: str, seconds: float = 0.0, rows: int = 0, churn: int = 0
    ) -> None:
        """Count one /predict call; a successful one also records its latency, rows, churners."""
        children = self._children.get(version) or self._children_for(version)
        children[outcome].inc()
        if outcome == OK:
            children["latency"].observe(seconds)
            children["rows"].inc(rows)
            if churn:
                children["churn"].inc(churn)

    def prepare(self, version: str) -> None:
        """Export the version's series at 0 before its first call, so that rate() and ratios
        over a window see it from the start (a series born mid-window is extrapolated apart)."""
        if version not in self._children:
            self._children_for(version)

    def _children_for(self, version: str) -> dict[str, Any]:
        # labels() costs microseconds per call; a request needs four, so keep them per version.
        children: dict[str, Any] = {o: self.requests.labels(version, o) for o in OUTCOMES}
        children["latency"] = self.latency.labels(version)
        children["rows"] = self.rows.labels(version)
        children["churn"] = self.churn_rows.labels(version)
        self._children[version] = children
        return children

    def serving(
        self, alias: str, label: str | None, registry_version: str | None, source: str | None
    ) -> None:
        """Mark the version now serving as `alias` (1; None: none) and the one before it (0)."""
        now = None if label is None else (label, registry_version or NO_MODEL, source or NO_MODEL)
        previous = self._serving.get(alias)
        if previous is not None and previous != now:
            self.model_loaded.labels(*previous, alias).set(0)
        if now is None:
            self._serving.pop(alias, None)
            return
        self._serving[alias] = now
        self.model_loaded.labels(*now, alias).set(1)

    def render(self) -> bytes:
        if multiprocess_dir() is not None:
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)
            return generate_latest(merged)
        return generate_latest(self.registry) + generate_latest(REGISTRY)


@contextlib.asynccontextmanager
async def worker_lifespan(_app: object) -> AsyncIterator[None]:
    """In multiprocess mode, drop this worker's live gauges when it stops."""
    try:
        yield
    finally:
        if multiprocess_dir() is not None:
            multiprocess.mark_process_dead(os.getpid())


@get(
    "/metrics",
    media_type=CONTENT_TYPE_LATEST,
    tags=["operations"],
    summary="Prometheus metrics",
    description="Prometheus text format: prediction counters (requests, rows, churn rows) and "
    "latency histogram by model version, the model-loaded gauge (champion and challenger), "
    "the challenger's traffic share, feature drift (PSI) by model version, reload failures, "
    "and Litestar's HTTP metrics (path templates).",
    sync_to_thread=False,
)
def metrics_endpoint(state: State) -> Response[bytes]:
    state.drift_metrics.update()  # this worker's drift gauges, fresh for the scrape
    return Response(state.serving_metrics.render(), media_type=CONTENT_TYPE_LATEST)
