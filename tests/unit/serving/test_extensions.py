"""Another package's router plugs into create_app: routes, lifespan, metrics on /metrics."""

from __future__ import annotations

import contextlib

from litestar import get
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.testing import TestClient
from prometheus_client import Counter

from lab.serving.app import ServingContext, create_app


class EchoPlugin:
    def __init__(self, ctx: ServingContext) -> None:
        self.calls = Counter("echo_calls_total", "Calls of /echo.", registry=ctx.metrics_registry)
        self.events: list[str] = []

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        calls = self.calls

        @get("/echo", sync_to_thread=False)
        def echo(state: State) -> dict[str, object]:
            calls.inc()
            model = state.models.get()
            return {"version": model.label, "client": state.echo_client}

        @contextlib.asynccontextmanager
        async def lifespan(app):
            app.state.echo_client = "open"
            self.events.append("open")
            yield
            self.events.append("closed")

        app_config.route_handlers.append(echo)
        app_config.lifespan.append(lifespan)
        return app_config


def test_an_extension_adds_routes_lifespan_and_metrics(settings) -> None:
    plugins: list[EchoPlugin] = []

    def factory(ctx: ServingContext) -> EchoPlugin:
        plugins.append(EchoPlugin(ctx))
        return plugins[-1]

    with TestClient(create_app(settings, extensions=[factory])) as client:
        answer = client.get("/echo").json()
        metrics = client.get("/metrics").text
        assert client.get("/health").json()["model_loaded"] is True
    assert answer == {"version": "v-unit", "client": "open"}
    assert "echo_calls_total 1.0" in metrics
    assert plugins[0].events == ["open", "closed"]


def test_the_default_app_has_no_extensions(settings) -> None:
    paths = {route.path for route in create_app(settings).routes}
    assert "/predict" in paths and "/crm_segment_update" not in paths
