"""Litestar's Prometheus plugin (HTTP request metrics), with its metric children cached.

The plugin's middleware looks up four labelled metric children on every request
(`metric.labels(...)`, a lock and a dict lookup each: ~20 µs per request here). The metrics,
names and labels are the plugin's own (`<prefix>_requests_total`, `..._request_duration_seconds`,
`..._requests_in_progress`, `..._requests_error_total`, labelled method, path template,
status_code, app_name; prefix `api` for the serving API, `crm` for the CRM); this subclass only
remembers each child after its first use.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.connection import Request
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class CachedPrometheusMiddleware(PrometheusMiddleware):
    def __init__(self, app: ASGIApp, config: PrometheusConfig) -> None:
        super().__init__(app, config)
        self._in_progress: dict[tuple, Any] = {}
        self._finished: dict[tuple, tuple[Any, Any, Any]] = {}

    def _progress_child(self, labels: dict[str, Any]) -> Any:
        key = tuple(labels.values())
        child = self._in_progress.get(key)
        if child is None:
            child = self._in_progress[key] = self.requests_in_progress(labels).labels(*key)
        return child

    def _finished_children(self, labels: dict[str, Any]) -> tuple[Any, Any, Any]:
        key = tuple(labels.values())
        children = self._finished.get(key)
        if children is None:
            children = self._finished[key] = (
                self.request_count(labels).labels(*key),
                self.request_time(labels).labels(*key),
                self.requests_error_count(labels).labels(*key),
            )
        return children

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        excluded = self._config.excluded_http_methods
        if excluded and scope.get("method") in excluded:
            await self.app(scope, receive, send)
            return
        request = Request[Any, Any, Any](scope, receive)
        labels = {**self._get_default_labels(request), **self._get_extra_labels(request)}
        started = time.perf_counter()
        span = {"status": 200, "duration": 0.0}

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                span["status"] = message["status"]
            elif message["type"] == "http.response.body":
                span["duration"] = time.perf_counter() - started
            await send(message)

        in_progress = self._progress_child(labels)
        in_progress.inc()
        try:
            await self.app(scope, receive, timed_send)
        finally:
            in_progress.dec()
            labels["status_code"] = span["status"]
            count, duration, errors = self._finished_children(labels)
            if span["status"] >= 500:
                errors.inc()
            count.inc()
            duration.observe(span["duration"])


def prometheus_config(name: str, *, exclude_unhandled_paths: bool = False) -> PrometheusConfig:
    """Per-route request metrics named `<name>_...` (app_name `name`), by route template, with
    /metrics itself left out."""
    return PrometheusConfig(
        app_name=name,
        prefix=name,
        group_path=True,
        exclude=["^/metrics$"],
        exclude_unhandled_paths=exclude_unhandled_paths,
        middleware_class=CachedPrometheusMiddleware,
    )
