"""The CRM client's real transport (aiohttp under httpx) against real sockets: refused, dropped
and silent servers each map to the right error."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from lab.crm.client import CrmClient
from lab.crm.errors import CrmBadGatewayError, CrmTimeoutError, CrmUnavailableError
from tests.support import free_port

pytestmark = pytest.mark.anyio

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def serve(handler: Handler) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def client(settings_factory, port: int) -> CrmClient:
    settings = settings_factory(
        CRM_URL=f"http://127.0.0.1:{port}", CRM_RETRIES=1, CRM_READ_TIMEOUT=0.3,
        CRM_CONNECT_TIMEOUT=0.5,
    )  # fmt: skip
    return CrmClient(settings, sleep=lambda _s: asyncio.sleep(0))


async def test_refused_connection_is_503_not_a_timeout(settings_factory) -> None:
    async with client(settings_factory, free_port()) as crm:
        with pytest.raises(CrmUnavailableError, match="lab crm"):
            await crm.get_features("CUST001")


async def test_dropped_connection_is_502(settings_factory) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    server, port = await serve(hang_up)
    async with server, client(settings_factory, port) as crm:
        with pytest.raises(CrmBadGatewayError, match="broke"):
            await crm.get_features("CUST001")


async def test_silent_server_is_504(settings_factory) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    server, port = await serve(silent)
    async with server, client(settings_factory, port) as crm:
        with pytest.raises(CrmTimeoutError, match="did not answer"):
            await crm.get_features("CUST001")


async def test_real_answer_is_read(settings_factory) -> None:
    body = b'{"customer_id": "CUST001", "features": {}}'

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n"
        writer.write(head.encode() + body)
        await writer.drain()
        writer.close()

    server, port = await serve(answer)
    async with server, client(settings_factory, port) as crm:
        with pytest.raises(CrmBadGatewayError, match="wrong shape"):  # read, then checked
            await crm.get_features("CUST001")
