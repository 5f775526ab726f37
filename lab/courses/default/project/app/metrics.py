"""M5: the service's Prometheus metrics, each labelled with the model version."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

log = logging.getLogger("app.metrics")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


def safely(record: Callable[..., None], *args: Any) -> None:
    """Record a metric; a failing (or not yet written) recording is logged, never fails a request."""
    try:
        record(*args)
    except Exception as exc:
        log.warning("metrics: %s: %s", type(exc).__name__, exc)


class Metrics:
    """The metrics of one app, in a registry of their own (tests build many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        safely(self.define)

    def define(self) -> None:
        # BEGIN SOLUTION M5.metrics: define prediction_requests_total, prediction_latency_seconds and crm_segment_updates_total, labelled model_version
        self.requests = Counter(
            "prediction_requests", "Calls of /predict, valid or not", ["model_version"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "prediction_latency_seconds", "Seconds the model took to predict one request",
            ["model_version"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.crm_updates = Counter(
            "crm_segment_updates", "Calls of /crm_segment_update by outcome",
            ["outcome", "model_version"], registry=self.registry,
        )  # fmt: skip
        self.model_loaded = Gauge(
            "model_loaded", "1 when a model is loaded, by version", ["model_version"],
            registry=self.registry,
        )  # fmt: skip
        # END SOLUTION

    def observe_prediction(self, version: str, seconds: float | None) -> None:
        """One /predict call (valid or not); `seconds` is the model's time, None if it did not run."""
        # BEGIN SOLUTION M5.counter: count every /predict call and observe the model's latency
        self.requests.labels(model_version=version).inc()
        if seconds is not None:
            self.latency.labels(model_version=version).observe(seconds)
        # END SOLUTION

    def observe_crm_update(self, outcome: str, version: str) -> None:
        # BEGIN SOLUTION M5.metrics: count each /crm_segment_update by outcome and model_version
        self.crm_updates.labels(outcome=outcome, model_version=version).inc()
        # END SOLUTION

    def observe_model(self, version: str | None) -> None:
        self.model_loaded.clear()
        if version is not None:
            self.model_loaded.labels(model_version=version).set(1)


@get("/metrics", media_type=CONTENT_TYPE_LATEST)
async def metrics_endpoint(state: State) -> Response[bytes]:
    """Every metric in Prometheus's text format."""
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
