"""`lab check` sends a secret only to the address the lab's settings name (issue 13, item 2)."""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from lab.acceptance.checks import credentials
from lab.cli import main

SECRETS = ("test-crm-token-0000", "test-grafana-password")
DASHBOARD = Path(__file__).parent / "grafana_answers" / "dashboard.json"


class Recorder(BaseHTTPRequestHandler):
    """Plays API, CRM and Grafana at once; remembers every request's headers."""

    seen: list[dict[str, str]]

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        if self.path == "/api/health":
            self._answer(200, {"database": "ok", "version": "11.6.0"})
        else:
            self._answer(401, {"message": "unauthorized"})

    def do_POST(self) -> None:
        self.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        self._answer(200, {"new_segment": "loyal", "customer_id": "CUST_TEST_007"})

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener():
    seen: list[dict[str, str]] = []
    handler = type("Handler", (Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def _check(url: str, project: Path, *extra: str):
    target = project / "config/grafana/dashboards/mlops-lab.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DASHBOARD, target)
    args = ["check", "-m", "M4", "-m", "M5", "--no-tests", "--json", str(project / "c.json")]
    urls = ["--api-url", url, "--crm-url", url, "--grafana-url", url, "--prometheus-url", url]
    return CliRunner().invoke(main, [*args, *urls, "--project-dir", str(project), *extra])


def _sent(seen: list[dict[str, str]]) -> list[str]:
    """Every secret that reached the listener, whatever header carried it."""
    found = []
    for headers in seen:
        for value in headers.values():
            decoded = value
            if value.lower().startswith("basic "):
                decoded = base64.b64decode(value.split()[1]).decode(errors="replace")
            found += [s for s in SECRETS if s in decoded]
    return found


def _lab_env(monkeypatch, settings) -> None:
    for key in ("LAB_HOME", "CRM_TOKEN", "GRAFANA_ADMIN_PASSWORD", "ADMIN_TOKEN"):
        monkeypatch.setenv(key, str(getattr(settings, key)))


def test_check_pointed_at_another_listener_sends_it_no_credential(
    listener, settings, monkeypatch, tmp_path
):
    url, seen = listener
    _lab_env(monkeypatch, settings)
    result = _check(url, tmp_path)
    paths = {h["path"] for h in seen}
    assert {"/customers/CUST_TEST_007", "/api/dashboards/uid/mlops-lab"} <= paths, result.output
    assert not any("authorization" in h for h in seen)
    assert _sent(seen) == []
    report = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    observed = json.dumps(report)
    assert "--send-credentials" in observed


def test_send_credentials_sends_them_to_the_given_urls(listener, settings, monkeypatch, tmp_path):
    url, seen = listener
    _lab_env(monkeypatch, settings)
    _check(url, tmp_path, "--send-credentials")
    assert sorted(set(_sent(seen))) == sorted(SECRETS)


def test_the_labs_own_addresses_get_them_any_spelling(make_ctx, settings_factory):
    ctx = make_ctx(settings=settings_factory(CRM_URL="http://LocalHost:80/", GRAFANA_PORT=3999))
    assert credentials.crm_headers(ctx, "http://localhost/customers/C1")
    assert credentials.crm_headers(ctx, "http://localhost:81/customers/C1") == {}
    assert credentials.crm_headers(ctx, "https://localhost/customers/C1") == {}
    assert credentials.grafana_auth(ctx, "http://127.0.0.1:3999", "admin")
    assert credentials.grafana_auth(ctx, "http://127.0.0.2:3999", "admin") is None
    trusted = dataclasses.replace(ctx, send_credentials=True)
    assert credentials.grafana_auth(trusted, "http://127.0.0.2:3999", "admin")
