"""The serving API: `create_app(settings) -> Litestar` (no app is built at import time).

What an app holds (`app.state`):
- `models`: the `ModelStore`; `models.current` is the champion `LoadedModel` or None,
  `models.get()` returns it or raises `ModelUnavailable(reason)`, and `models.pick(customer_id)`
  returns the model that should answer this request (the challenger for its share of the
  traffic, sticky per customer id; see `lab.serving.split`). A `LoadedModel` has
  `predict_proba(X) -> np.ndarray` (churn probabilities, X float64 of shape (n, 10) in
  `lab.data.FEATURE_NAMES` order), `.label`, `.registry_version`, `.source`, `.sha256`.
- `metrics_registry`: the `prometheus_client.CollectorRegistry` that `/metrics` serves.
- `serving_metrics` (the prediction metrics), `drift_metrics` (PSI gauges) and `settings`.

Plugging another router in (e.g. the CRM segment-update flow in `lab.integration`):
write a factory `(ctx: ServingContext) -> plugin`, where the plugin is a Litestar
`InitPluginProtocol` whose `on_app_init(app_config)` appends its route handlers to
`app_config.route_handlers` and its lifespan context managers (a pooled `httpx.AsyncClient`
opened and closed there, kept on `app.state`) to `app_config.lifespan`. Then add
`"package.module.factory"` to `EXTENSIONS` below. The string is imported when an app is built,
so `lab.serving` never imports packages above it. Inside a handler, predict with
`state.models.pick(customer_id).predict_proba(X)` (catch `ModelUnavailable` for a 503), log with
`logging.getLogger("lab.<pkg>")` (the request id is added to every line; `lab.serving.logs.
current_request_id()` gives it for passing on), and raise `lab.serving.problems.Problem(status,
detail, **fields)` for errors. Metrics: create them with `registry=ctx.metrics_registry`
(gauges also need `multiprocess_mode=`); they then appear on /metrics with one worker or many.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.utils.module_loader import import_string
from prometheus_client import CollectorRegistry

from lab import __version__
from lab.serving import admin, health, http_metrics, problems
from lab.serving.drift_metrics import DriftMetrics
from lab.serving.logs import request_id_middleware
from lab.serving.metrics import ServingMetrics, metrics_endpoint, worker_lifespan
from lab.serving.model_store import ModelStore
from lab.serving.predict import predict_handler
from lab.serving.registry import RegistryClient
from lab.settings import Settings, load_settings

#: Routers of other packages: dotted paths of factories `(ServingContext) -> plugin`.
EXTENSIONS: tuple[str, ...] = ("lab.integration.router.plugin",)


@dataclass(frozen=True)
class ServingContext:
    """What an extension's factory gets: settings, the model store and the metrics registry."""

    settings: Settings
    models: ModelStore
    metrics: ServingMetrics

    @property
    def metrics_registry(self) -> CollectorRegistry:
        return self.metrics.registry


Extension = str | Callable[[ServingContext], Any]


def create_app(
    settings: Settings,
    *,
    extensions: Sequence[Extension] | None = None,
    registry: RegistryClient | None = None,
) -> Litestar:
    """Build the API. `extensions` replaces `EXTENSIONS`; `registry` replaces the MLflow client."""
    metrics = ServingMetrics(settings)
    drift = DriftMetrics(metrics.registry, min(settings.DRIFT_MIN_ROWS, settings.DRIFT_WINDOW_ROWS))
    models = ModelStore(settings, metrics, registry, drift)
    ctx = ServingContext(settings=settings, models=models, metrics=metrics)
    chosen = EXTENSIONS if extensions is None else extensions
    plugins = [problems.plugin()]
    plugins += [(import_string(e) if isinstance(e, str) else e)(ctx) for e in chosen]
    return Litestar(
        route_handlers=[
            predict_handler(settings),
            health.health,
            health.ready,
            admin.reload_model,
            admin.set_split,
            metrics_endpoint,
        ],
        lifespan=[worker_lifespan, models.lifespan, drift.lifespan],
        middleware=[request_id_middleware, http_metrics.config().middleware],
        plugins=plugins,
        exception_handlers=problems.EXCEPTION_HANDLERS,
        state=State(
            {
                "settings": settings,
                "models": models,
                "serving_metrics": metrics,
                "drift_metrics": drift,
                "metrics_registry": metrics.registry,
            }
        ),
        openapi_config=_openapi(),
        logging_config=None,
        request_max_body_size=settings.PREDICT_MAX_BODY_BYTES,
        debug=False,
    )


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="mlops-lab serving API",
        version=__version__,
        description="Churn predictions from the MLflow registry's champion model (and, during a "
        "rollout, its challenger for a share of the traffic), with health, readiness, "
        "Prometheus metrics (drift included) and hot model reload. Errors are RFC 9457 "
        "problem details.",
        path="/schema",
        render_plugins=[SwaggerRenderPlugin(path="/swagger"), ScalarRenderPlugin(path="/scalar")],
        components=Components(
            security_schemes={
                admin.BEARER_SCHEME: SecurityScheme(
                    type="http", scheme="bearer", description="ADMIN_TOKEN from .env"
                )
            }
        ),
    )


def app_from_environment() -> Litestar:
    """Factory for uvicorn (`--factory`): settings from the environment and `.env`."""
    return create_app(load_settings())
