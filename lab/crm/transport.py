"""A hand-written HTTP pool for the CRM client (CRM_HTTP_TRANSPORT=lab), kept beside httpx's.

Why it exists, and why it is not the default: httpx's own pool is the framework's idiom and the
default (it honours proxies and SSL_CERT_FILE); this one was written when the segment-update flow
was measured slower than its target. `lab bench` runs the flow on both in one run and prints the
ratio with the decision: it stays only while it is at least 1.5x faster at c=1 (lab.bench.
crm_flow.KEEP_HAND_POOL_AT). Below that it should go.

What it is: a small HTTP/1.1 keep-alive pool under the httpx API, and an `httpx.AsyncClient`
without a cookie jar.

The CRM client talks to one origin (the CRM) with small JSON requests, twice per segment
update. httpx's own pool (httpcore) re-checks every pooled connection on every request and
serialises them on a lock; aiohttp's pool under httpx (httpx-aiohttp) was faster but still
spent ~0.3 ms per call in two layers of request and response objects, more than the CRM took to
answer (measured here: raw socket 0.27 ms, aiohttp 0.43 ms, httpx + aiohttp 0.68 ms per GET).

This transport keeps idle connections on a stack (the most recently used first), writes the
request in one `write`, and parses the answer with `httptools` (the parser uvicorn serves the
lab with). The client keeps httpx's API (timeouts, respx in tests); the transport raises httpx's
own errors, so the client's error mapping does not change:

- refused connection → `httpx.ConnectError` (503 "is it running?"),
- no connection within the connect timeout → `httpx.ConnectTimeout`, no answer within the read
  timeout → `httpx.ReadTimeout` (504),
- the server closed or reset the connection, or sent what is not HTTP →
  `httpx.RemoteProtocolError` (502).

A pooled connection that the server closed while it was idle (uvicorn closes idle keep-alive
connections after 5 s) is noticed before reuse, or, if the close races the request, the request
is sent again once on a new connection before any answer byte was read (as httpcore and aiohttp
do; the client only sends GETs and the idempotent PUT).

`CrmHttpClient` is an `httpx.AsyncClient` that keeps no cookies: the CRM sets none, and httpx
parses every answer's URL again to look for them (~30 µs a call, a tenth of a CRM call).
"""

from __future__ import annotations

import asyncio

import httptools
import httpx

_DEFAULT_TIMEOUT = 5.0


class _StaleConnection(Exception):
    """The connection closed before any byte of the answer arrived."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request in flight at a time (`exchange`)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[None] | None = None
        self._started = False
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._keep_alive = False

    # ---- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._started = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"the CRM sent a malformed HTTP answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._started:
            reason = f"{type(exc).__name__}: {exc}" if exc else "closed"
            self._fail(httpx.RemoteProtocolError(f"the CRM connection broke mid-answer ({reason})"))
        else:
            self._fail(_StaleConnection())

    # ---- httptools callbacks -----------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        # asked here: after the whole message, llhttp no longer says keep-alive
        self._keep_alive = self._parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(None)

    # ---- one request ---------------------------------------------------------------------------
    def _fail(self, exc: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(exc)
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    async def exchange(self, wire: bytes, timeout: float | None) -> tuple[int, list, bytes, bool]:
        """Send `wire`, wait for the whole answer: (status, headers, body, keep-alive)."""
        self._answer = asyncio.get_running_loop().create_future()
        self._started = self._keep_alive = False
        self._headers, self._body = [], []
        assert self.transport is not None
        self.transport.write(wire)
        try:
            async with asyncio.timeout(timeout):
                await self._answer
        except TimeoutError:
            self.close()
            raise httpx.ReadTimeout(f"no answer from the CRM within {timeout:g} s") from None
        except BaseException:  # cancelled, or the answer failed: the connection is not reusable
            self.close()
            raise
        finally:
            self._answer = None
        status = self._parser.get_status_code()
        return status, self._headers, b"".join(self._body), self._keep_alive


class CrmTransport(httpx.AsyncBaseTransport):
    """Keep-alive HTTP/1.1 to the CRM. `limits.max_keepalive_connections` idle ones are kept."""

    def __init__(self, *, limits: httpx.Limits | None = None) -> None:
        limits = limits or httpx.Limits()
        self._keep = limits.max_keepalive_connections or 0
        self._idle: list[_Connection] = []
        self._closing = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        wire = _wire(request, await request.aread())
        conn = self._pooled()
        if conn is not None:
            try:
                answer = await conn.exchange(wire, timeouts.get("read", _DEFAULT_TIMEOUT))
            except _StaleConnection:
                conn = None  # closed by the server while idle: once more on a new connection
        if conn is None:
            conn = await self._connect(request, timeouts.get("connect", _DEFAULT_TIMEOUT))
            try:
                answer = await conn.exchange(wire, timeouts.get("read", _DEFAULT_TIMEOUT))
            except _StaleConnection:
                raise httpx.RemoteProtocolError(
                    "the CRM closed the connection without answering", request=request
                ) from None
        status, headers, body, keep_alive = answer
        if keep_alive and not conn.closed and not self._closing and len(self._idle) < self._keep:
            self._idle.append(conn)
        else:
            conn.close()
        return httpx.Response(
            status, headers=headers, content=body, request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )  # fmt: skip

    def _pooled(self) -> _Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn
        return None

    async def _connect(self, request: httpx.Request, timeout: float | None) -> _Connection:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                _transport, conn = await loop.create_connection(
                    _Connection, url.host, port, ssl=url.scheme == "https" or None
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(
                f"no connection to {url.host}:{port} within {timeout:g} s", request=request
            ) from None
        except OSError as exc:
            raise httpx.ConnectError(
                f"cannot connect to {url.host}:{port}: {exc.strerror or exc}", request=request
            ) from None
        return conn

    async def aclose(self) -> None:
        self._closing = True
        while self._idle:
            self._idle.pop().close()


def _wire(request: httpx.Request, body: bytes) -> bytes:
    """The request as bytes: request line, httpx's headers (Host, Content-Length, ...), body."""
    head = [request.method.encode("ascii"), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        head += [name, b": ", value, b"\r\n"]
    head.append(b"\r\n")
    return b"".join(head) + body


class _NoCookies(httpx.Cookies):
    """A cookie jar that stays empty: answers are not searched for `Set-Cookie`."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class CrmHttpClient(httpx.AsyncClient):
    """`httpx.AsyncClient` without cookies (the CRM sets none); everything else is httpx's."""

    _jar = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, _value: object) -> None:
        raise TypeError("the CRM client keeps no cookies")
