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
opened and closed there, kept on `app.state`) to `app_config.lifespan`. Then pass the factory
in `extensions=` where the app is composed (`lab.api`, the `api` process's composition root), so
`lab.serving` never imports packages above it; `create_app`'s default has no extensions.
Inside a handler, predict with `state.models.pick(customer_id).predict_proba(X)` (catch
`ModelUnavailable` for a 503), log with `logging.getLogger("lab.<pkg>")` (the request id is
added to every line; `lab.web.request_id.current_request_id()` gives it for passing on), and
raise `lab.web.problems.ProblemError(status, detail, **fields)` for errors. Metrics: create
them with `registry=ctx.metrics_registry` (gauges also need `multiprocess_mode=`); they then
appear on /metrics with one worker or many.
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
from prometheus_client import CollectorRegistry

from lab import __version__
from lab.serving import admin, health
from lab.serving.drift_metrics import DriftMetrics
from lab.serving.metrics import ServingMetrics, metrics_endpoint, worker_lifespan
from lab.serving.model_store import ModelStore
from lab.serving.predict import predict_handler
from lab.serving.registry_client import RegistryClient
from lab.settings import Settings
from lab.web import problems
from lab.web.http_metrics import prometheus_config
from lab.web.json_body import JsonRequest
from lab.web.request_id import request_id_middleware

#: The detail of a too-large body (the framework's 413), naming the setting that bounds it.
_DETAILS = {413: "the request body is larger than the API accepts (PREDICT_MAX_BODY_BYTES)"}


#: OpenAPI security scheme of API_TOKEN (routes of extensions that need it name it).
API_BEARER_SCHEME = "apiBearer"


@dataclass(frozen=True)
class ServingContext:
    """What an extension's factory gets: settings, the model store and the metrics registry."""

    settings: Settings
    models: ModelStore
    metrics: ServingMetrics

    @property
    def metrics_registry(self) -> CollectorRegistry:
        return self.metrics.registry


#: A router of another package: a factory `(ServingContext) -> plugin`.
Extension = Callable[[ServingContext], Any]


def create_app(
    settings: Settings,
    *,
    extensions: Sequence[Extension] = (),
    registry: RegistryClient | None = None,
) -> Litestar:
    """Build the API with the routers of `extensions` plugged in; `registry` replaces the
    MLflow client."""
    metrics = ServingMetrics(settings)
    drift = DriftMetrics(metrics.registry, min(settings.DRIFT_MIN_ROWS, settings.DRIFT_WINDOW_ROWS))
    models = ModelStore(settings, metrics, registry, drift)
    ctx = ServingContext(settings=settings, models=models, metrics=metrics)
    plugins = [problems.plugin(_DETAILS), *(factory(ctx) for factory in extensions)]
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
        middleware=[request_id_middleware, prometheus_config("api").middleware],
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
        request_class=JsonRequest,  # too deep a JSON body: 400, not a RecursionError
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
                ),
                API_BEARER_SCHEME: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="API_TOKEN from .env (needed when the API listens beyond loopback)",
                ),
            }
        ),
    )
