"""A deliberately broken API + CRM for grading tests (standard library only).

Run: python -m tests.integration.acceptance.broken_service PORT LOGFILE [MODE]

MODE `all500` (the default) answers every request with HTTP 500 and /metrics with 404. Any other
mode serves a small API and CRM that meet the rubric's API-level criteria, except one fault:

    ok              no fault (the baseline the tests compare against)
    metric-names    /metrics misnames crm_segment_updates_total and the model_loaded gauge
    stuck-counter   prediction_requests_total never moves
    500-bad-input   /predict answers 500 to a malformed body
    no-crm-write    /crm_segment_update answers 200 but writes nothing to the CRM
    no-log-steps    the flow logs its request id but not its steps
    no-health       /health is missing (404)

`POST /_mode/NAME` switches the mode and resets the state, so one process serves every test.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")
VERSION = "v9.9.9-broken"
PROBABILITY = 0.3  # low_risk in config/segments.yml
BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0)


class State:
    def __init__(self, mode: str, log: Path):
        self.mode, self.log = mode, log
        self.lock = threading.Lock()
        self.requests = 0
        self.updates = 0
        self.latencies: list[float] = []
        self.customers = {"CUST_TEST_007": {"customer_id": "CUST_TEST_007", "segment": None}}
        self.history: dict[str, list[dict]] = {"CUST_TEST_007": []}

    def metrics(self) -> str:
        bad = self.mode == "metric-names"
        updates = "crm_updates_total" if bad else "crm_segment_updates_total"
        gauge = "model_is_loaded" if bad else "model_loaded"
        lines = [
            "# TYPE prediction_requests_total counter",
            f'prediction_requests_total{{model_version="{VERSION}",outcome="ok"}} {self.requests}',
            "# TYPE prediction_latency_seconds histogram",
        ]
        for bound in (*BUCKETS, math.inf):
            count = sum(1 for x in self.latencies if x <= bound)
            le = "+Inf" if bound == math.inf else repr(bound)
            lines.append(
                f'prediction_latency_seconds_bucket{{model_version="{VERSION}",le="{le}"}} {count}'
            )
        lines += [
            f'prediction_latency_seconds_count{{model_version="{VERSION}"}} {len(self.latencies)}',
            f'prediction_latency_seconds_sum{{model_version="{VERSION}"}} {sum(self.latencies)}',
            f"# TYPE {updates} counter",
            f'{updates}{{outcome="success"}} {self.updates}',
            f"# TYPE {gauge} gauge",
            f'{gauge}{{model_version="{VERSION}"}} 1',
        ]
        return "\n".join(lines) + "\n"


def valid_row(body: bytes) -> str | None:
    """Why the /predict body is bad, or None."""
    try:
        doc = json.loads(body or b"null")
    except ValueError:
        return "the body is not JSON"
    row = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(row, list) or len(row) != 10:
        return "features must be a list of 10 numbers"
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in row):
        return "every feature must be a number"
    if not all(math.isfinite(x) and abs(x) <= 1e9 for x in row):
        return "every feature must be finite and within ±1e9"
    return None


class Handler(BaseHTTPRequestHandler):
    state: State

    def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header(
            "content-type", "text/plain" if isinstance(body, str) else "application/json"
        )
        self.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        state = self.state
        if url.path.startswith("/_mode/"):
            new = State(url.path.removeprefix("/_mode/"), state.log)
            type(self).state = new
            return self._send(200, {"mode": new.mode})
        if state.mode == "all500":
            if url.path == "/metrics":
                return self._send(404, "Not Found")
            return self._send(500, {"detail": "Internal Server Error"})
        with state.lock:
            return self._route(url.path, parse_qs(url.query), body)

    def _route(self, path: str, query: dict[str, list[str]], body: bytes) -> None:
        state = self.state
        if path == "/health":
            if state.mode == "no-health":
                return self._send(404, {"detail": "Not Found"})
            return self._send(200, {"model_loaded": True, "model_version": VERSION})
        if path == "/metrics":
            return self._send(200, state.metrics())
        if path == "/predict" and self.command == "POST":
            started = time.perf_counter()
            if state.mode != "stuck-counter":
                state.requests += 1
            why = valid_row(body)
            if why and state.mode == "500-bad-input":
                return self._send(500, "Internal error: ValueError: bad row")
            if why:
                return self._send(422, {"detail": why})
            state.latencies.append(time.perf_counter() - started)
            return self._send(200, {"prediction": 0, "probability": PROBABILITY,
                                    "model_version": VERSION})  # fmt: skip
        if path == "/crm_segment_update" and self.command == "POST":
            return self._flow(query.get("customer_id", [""])[0])
        if path.startswith("/customers/"):
            parts = path.split("/")[2:]
            record = state.customers.get(parts[0])
            if record is None:
                return self._send(404, {"detail": f"no customer {parts[0]}"})
            if parts[1:] == ["history"]:
                return self._send(200, {"items": state.history[parts[0]]})
            return self._send(200, record)
        return self._send(404, {"detail": "Not Found"})

    def _flow(self, cid: str) -> None:
        state = self.state
        if not ID.match(cid):
            return self._send(400, {"detail": "invalid customer_id"})
        if cid not in state.customers:
            return self._send(404, {"detail": f"no customer {cid}"})
        rid = self.headers.get("x-request-id") or "rid-broken"
        segment = "low_risk"
        steps = ["read features", "predict", "segment", "write to CRM"]
        with state.log.open("a", encoding="utf-8") as log:
            for n, what in enumerate(steps, start=1):
                shown = f"step {n}/4 {what}" if state.mode != "no-log-steps" else what.upper()
                log.write(f"info request_id={rid} customer={cid} {shown}\n")
        if state.mode != "no-crm-write":
            old = state.customers[cid]["segment"]
            state.customers[cid]["segment"] = segment
            row = {"request_id": rid, "old_segment": old, "segment": segment,
                   "model_version": VERSION}  # fmt: skip
            state.history[cid].insert(0, row)
        state.updates += 1
        answer = {"customer_id": cid, "new_segment": segment, "probability": PROBABILITY,
                  "model_version": VERSION, "request_id": rid}  # fmt: skip
        return self._send(200, answer, {"x-request-id": rid})

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, format: str, *args: object) -> None:
        print(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else '?'}", flush=True)


def main() -> None:
    port, log = int(sys.argv[1]), Path(sys.argv[2])
    Handler.state = State(sys.argv[3] if len(sys.argv) > 3 else "all500", log)
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"broken service on 127.0.0.1:{port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
