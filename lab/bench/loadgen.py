"""A small closed-loop HTTP/1.1 load generator (keep-alive, N connections, asyncio).

Each connection sends one request, waits for the whole answer, and sends the next, like wrk
with one request in flight per connection. Latency is measured per request; throughput is
completed requests over the measured window. It runs in the benchmark's own process while the
servers run in child processes, and it is the same for every target, so ratios are fair.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Request:
    host: str
    port: int
    path: str
    body: bytes
    content_type: str = "application/json"

    def wire(self) -> bytes:
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: {self.content_type}\r\nContent-Length: {len(self.body)}\r\n"
            "Connection: keep-alive\r\n\r\n"
        )
        return head.encode("latin-1") + self.body


@dataclass
class Result:
    concurrency: int
    seconds: float
    latencies: np.ndarray  # seconds, one per completed request
    failures: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    last_body: bytes = b""

    @property
    def completed(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.completed / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1000) if self.completed else float("nan")


class HTTPFailure(RuntimeError):
    pass


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return status, b"".join(parts)
            parts.append((await reader.readexactly(size + 2))[:-2])  # chunk + CRLF
    return status, await reader.readexactly(length or 0)


async def _worker(
    req: Request, deadline: float, warm_until: float, out: Result, lats: list[float]
) -> None:
    wire = req.wire()
    writer = None
    try:
        reader, writer = await asyncio.open_connection(req.host, req.port)
        while True:
            started = time.perf_counter()
            if started >= deadline:
                return
            writer.write(wire)
            status, body = await _read_response(reader)
            ended = time.perf_counter()
            if started < warm_until:
                continue
            out.statuses[status] = out.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                lats.append(ended - started)
                out.last_body = body
            else:
                out.failures += 1
    except (OSError, asyncio.IncompleteReadError, ValueError):
        out.failures += 1
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def measure(req: Request, concurrency: int, seconds: float, warmup: float = 0.5) -> Result:
    """Keep `concurrency` connections busy for `warmup + seconds`; measure the last `seconds`."""
    start = time.perf_counter()
    warm_until = start + warmup
    deadline = warm_until + seconds
    result = Result(concurrency=concurrency, seconds=seconds, latencies=np.empty(0))
    lats: list[float] = []
    await asyncio.gather(
        *(_worker(req, deadline, warm_until, result, lats) for _ in range(concurrency))
    )
    result.seconds = max(time.perf_counter() - warm_until, 1e-9)
    result.latencies = np.asarray(lats)
    return result


def run(req: Request, concurrency: int, seconds: float, warmup: float = 0.5) -> Result:
    """`measure` on a fresh event loop (uvloop when installed)."""
    try:
        import uvloop
    except ImportError:  # Windows: uvloop does not exist there
        return asyncio.run(measure(req, concurrency, seconds, warmup))
    return uvloop.run(measure(req, concurrency, seconds, warmup))
