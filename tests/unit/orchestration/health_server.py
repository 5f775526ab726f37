"""A stand-in service: answers 200 `{"status": "ok"}` on every GET, on 127.0.0.1:PORT."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", int(sys.argv[1])), _Ok).serve_forever()
