"""The CRM client's connection pool: aiohttp's, under the httpx API (httpx-aiohttp).

httpx's own pool (httpcore) re-checks every pooled connection on every request and serialises
them on a lock; with two CRM calls per segment update that pool, not the CRM, was the flow's
limit (~2.5x slower at concurrency 1 and ~5x at 16, measured here). aiohttp's pool does not have
that cost, and `httpx-aiohttp` plugs it in as an httpx transport, so the client keeps httpx's
API (timeouts, respx in tests).

One correction: httpx-aiohttp reports a refused connection, or a server that dropped a pooled
connection, as `httpx.ConnectTimeout`. Here they become `httpx.ConnectError` and
`httpx.RemoteProtocolError`, so "the CRM is not running" is a 503, not a 504.
"""

from __future__ import annotations

import asyncio

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport


class CrmTransport(AiohttpTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.ConnectTimeout as exc:
            raise corrected(exc, request) from exc.__cause__


def corrected(exc: httpx.ConnectTimeout, request: httpx.Request) -> httpx.TransportError:
    """The httpx error that says what really happened to the aiohttp call behind `exc`."""
    cause = exc.__cause__
    if isinstance(cause, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return exc
    if isinstance(cause, aiohttp.ClientConnectorError):
        return httpx.ConnectError(str(cause), request=request)
    if isinstance(cause, aiohttp.ClientConnectionError):  # dropped or reset connection
        return httpx.RemoteProtocolError(str(cause) or type(cause).__name__, request=request)
    return exc
