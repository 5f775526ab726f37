from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support import free_port


class FakePrometheus(http.server.BaseHTTPRequestHandler):
    """Answers every query with one series (two points), or 400 for a query with `bad`."""

    asked: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.asked.append((url.path, params))
        if "bad" in params.get("query", ""):
            self._send(400, {"status": "error", "error": "parse error"})
            return
        metric = {"model_version": "v1", "le": "0.005"}
        if url.path == "/api/v1/query":
            result = [{"metric": metric, "value": [float(params["time"]), "7"]}]
        else:
            start = float(params["start"])
            result = [{"metric": metric, "values": [[start, "1"], [start + 60, "NaN"]]}]
        self._send(200, {"status": "success", "data": {"resultType": "matrix", "result": result}})

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def prometheus() -> Iterator[tuple[int, list]]:
    handler = type("Prom", (FakePrometheus,), {"asked": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port, handler.asked
    finally:
        server.shutdown()
        server.server_close()
