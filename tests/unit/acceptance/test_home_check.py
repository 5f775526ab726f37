"""The home_dashboard check (M5.dashboard_seen): what `lab home` draws, graded from outside."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from lab.acceptance.checks import Status
from lab.acceptance.checks._base import CheckFailed, CheckSkipped
from lab.acceptance.checks.home import HomeParams, home_dashboard
from tests.support import free_port

PROM = "http://127.0.0.1:9999"


def _panel(title: str, expr: str, values: list) -> dict:
    return {"title": title, "targets": [{"expr": expr, "series": [{"y": values}]}]}


@pytest.fixture
def home() -> Iterator[tuple[int, dict]]:
    answer: dict = {}

    class Home(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Home)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port, answer
    finally:
        server.shutdown()
        server.server_close()


def _ctx(make_ctx, settings_factory, port: int):
    return make_ctx(settings=settings_factory(HOME_PORT=port), prometheus_url=PROM)


def test_panels_with_counts_and_latency_pass(home, make_ctx, settings_factory) -> None:
    port, answer = home
    answer.update(prometheus=PROM, panels=[
        _panel("Total predictions", "sum(prediction_requests_total)", [None, 52.0]),
        _panel("p95", "histogram_quantile(0.95, prediction_latency_seconds_bucket)", [0.004]),
    ])  # fmt: skip
    outcome = home_dashboard(HomeParams(), _ctx(make_ctx, settings_factory, port))
    assert outcome.status is Status.PASS and "'Total predictions'" in outcome.observed


def test_a_metric_without_data_fails_and_names_it(home, make_ctx, settings_factory) -> None:
    port, answer = home
    answer.update(prometheus=PROM, panels=[
        _panel("Total predictions", "sum(prediction_requests_total)", [3.0]),
        _panel("p95", "histogram_quantile(0.95, prediction_latency_seconds_bucket)", [None]),
    ])  # fmt: skip
    with pytest.raises(CheckFailed, match="none with data for prediction_latency_seconds"):
        home_dashboard(HomeParams(), _ctx(make_ctx, settings_factory, port))


def test_another_prometheus_is_not_graded_and_no_page_fails(home, make_ctx, settings_factory):
    port, answer = home
    answer.update(prometheus="http://127.0.0.1:1", panels=[])
    with pytest.raises(CheckSkipped, match="not the one graded"):
        home_dashboard(HomeParams(), _ctx(make_ctx, settings_factory, port))
    answer.update(prometheus=PROM, unavailable="Prometheus does not answer")
    with pytest.raises(CheckFailed, match="cannot draw the dashboard: Prometheus does not"):
        home_dashboard(HomeParams(), _ctx(make_ctx, settings_factory, port))
    with pytest.raises(CheckFailed, match="lab home is not running") as err:
        home_dashboard(HomeParams(), _ctx(make_ctx, settings_factory, free_port()))
    assert "lab start home" in err.value.hint
