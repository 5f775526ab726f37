"""Health probes against a real HTTP server; respx only to inject a timeout."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest
import respx

from lab.orchestration.health import State, client, probe
from lab.orchestration.services import services
from tests.support import free_port


class _Handler(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, dict]]] = {}

    def do_GET(self) -> None:
        status, body = self.answers.get(self.path, (404, {}))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def _service(settings_factory, name, port):
    key = {"api": "API", "prometheus": "PROMETHEUS"}[name]
    (svc,) = services(settings_factory(**{f"{key}_PORT": port}), (name,))
    return svc


def test_a_200_is_healthy_and_the_api_says_which_model(settings_factory, server):
    _Handler.answers = {
        "/health": (200, {"model_loaded": True, "model_version": "v9", "source": "registry"})
    }
    with client() as http:
        health = probe(http, _service(settings_factory, "api", server))
    assert health.state is State.HEALTHY
    assert health.detail == "model v9 from registry"


def test_the_api_without_a_model_says_why(settings_factory, server):
    _Handler.answers = {"/health": (200, {"model_loaded": False, "reason": "no champion"})}
    with client() as http:
        health = probe(http, _service(settings_factory, "api", server))
    assert health.ok and health.detail == "no model: no champion"


def test_a_non_200_is_unhealthy_with_the_code(settings_factory, server):
    _Handler.answers = {"/-/ready": (503, {})}
    with client() as http:
        health = probe(http, _service(settings_factory, "prometheus", server))
    assert health.state is State.UNHEALTHY and "503" in health.detail


def test_nothing_listening_is_down(settings_factory):
    with client() as http:
        assert probe(http, _service(settings_factory, "api", free_port())).state is State.DOWN


def test_a_hanging_service_is_unhealthy_not_a_crash(settings_factory):
    svc = _service(settings_factory, "api", free_port())
    with respx.mock() as mock, client() as http:
        mock.get(svc.health_url).mock(side_effect=httpx.ReadTimeout("slow"))
        health = probe(http, svc)
    assert health.state is State.UNHEALTHY and "timed out" in health.detail
