"""The CRM client's real transports against real sockets — the lab's own pool
(lab.crm.transport) and httpx's default one (CRM_HTTP_TRANSPORT=httpx) alike: refused, dropped,
silent and garbled servers each map to the right error; connections are kept alive and reused,
and one the server closed while idle is replaced without an error."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from lab.crm.client import CrmClient
from lab.crm.errors import CrmBadGatewayError, CrmTimeoutError, CrmUnavailableError
from lab.crm.transport import CrmTransport
from lab.data import FEATURE_NAMES
from tests.support import free_port

pytestmark = pytest.mark.anyio

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def serve(handler: Handler) -> tuple[asyncio.Server, int]:
    """A server running `handler` per connection; the connection is closed when it returns,
    fails or is cancelled (an open one would be a ResourceWarning when the loop closes)."""

    async def closing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client hung up
        finally:
            writer.close()

    server = await asyncio.start_server(closing, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.fixture(params=["lab", "httpx"])
def client(request, settings_factory) -> Callable[..., CrmClient]:
    """A CrmClient factory over the CRM_HTTP_TRANSPORT under test."""

    def make(port: int, retries: int = 1) -> CrmClient:
        settings = settings_factory(
            CRM_URL=f"http://127.0.0.1:{port}", CRM_RETRIES=retries, CRM_READ_TIMEOUT=0.3,
            CRM_CONNECT_TIMEOUT=0.5, CRM_HTTP_TRANSPORT=request.param,
        )  # fmt: skip
        return CrmClient(settings, sleep=lambda _s: asyncio.sleep(0))

    return make


def test_the_setting_picks_the_pool(settings_factory) -> None:
    lab = CrmClient(settings_factory(CRM_HTTP_TRANSPORT="lab"))
    default = CrmClient(settings_factory(CRM_HTTP_TRANSPORT="httpx"))
    assert isinstance(lab._http._transport, CrmTransport)
    assert isinstance(default._http._transport, httpx.AsyncHTTPTransport)


async def test_refused_connection_is_503_not_a_timeout(client) -> None:
    async with client(free_port()) as crm:
        with pytest.raises(CrmUnavailableError, match="lab crm"):
            await crm.get_features("CUST001")


async def test_dropped_connection_is_502(client) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    server, port = await serve(hang_up)
    async with server, client(port) as crm:
        with pytest.raises(CrmBadGatewayError, match="broke"):
            await crm.get_features("CUST001")


async def test_silent_server_is_504(client) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    server, port = await serve(silent)
    async with server, client(port) as crm:
        with pytest.raises(CrmTimeoutError, match="did not answer"):
            await crm.get_features("CUST001")


async def test_real_answer_is_read(client) -> None:
    body = b'{"customer_id": "CUST001", "features": {}}'

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n"
        writer.write(head.encode() + body)
        await writer.drain()
        writer.close()

    server, port = await serve(answer)
    async with server, client(port) as crm:
        with pytest.raises(CrmBadGatewayError, match="wrong shape"):  # read, then checked
            await crm.get_features("CUST001")


FEATURES_BODY = (
    b'{"customer_id": "CUST001", "features": {'
    + b", ".join(f'"{name}": {i}.5'.encode() for i, name in enumerate(FEATURE_NAMES))
    + b"}}"
)


def ok(body: bytes = FEATURES_BODY) -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


async def test_connections_are_kept_alive_and_reused(client) -> None:
    connections = 0

    async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(ok())
            await writer.drain()

    server, port = await serve(keep_alive)
    async with server, client(port) as crm:
        for _ in range(5):
            assert await crm.get_features("CUST001") == [i + 0.5 for i in range(10)]
    assert connections == 1


async def test_a_pooled_connection_closed_by_the_server_is_replaced(client) -> None:
    connections = 0

    async def one_answer_per_connection(reader, writer) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ok())  # keep-alive is promised, but the server closes right after
        await writer.drain()
        writer.close()

    server, port = await serve(one_answer_per_connection)
    async with server, client(port, retries=0) as crm:  # no retry hides it
        for _ in range(3):
            assert len(await crm.get_features("CUST001")) == 10
    assert connections == 3


async def test_chunked_answer_is_read(client) -> None:
    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        half = len(FEATURES_BODY) // 2
        parts = [FEATURES_BODY[:half], FEATURES_BODY[half:]]
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for part in parts:
            writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    server, port = await serve(chunked)
    async with server, client(port) as crm:
        assert len(await crm.get_features("CUST001")) == 10


async def test_garbled_answer_is_502(client) -> None:
    async def garbled(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()

    server, port = await serve(garbled)
    async with server, client(port) as crm:
        with pytest.raises(CrmBadGatewayError, match="broke"):
            await crm.get_features("CUST001")


async def test_httpx_pool_goes_through_the_proxy_from_the_environment(
    settings_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append((await reader.readuntil(b"\r\n")).strip())
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ok())
        await writer.drain()

    server, port = await serve(proxy)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    crm_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = settings_factory(CRM_URL=crm_url, CRM_RETRIES=0)
    async with server:
        async with CrmClient(settings.model_copy(update={"CRM_HTTP_TRANSPORT": "httpx"})) as crm:
            assert len(await crm.get_features("CUST001")) == 10
        assert seen == [f"GET {crm_url}/customers/CUST001/features HTTP/1.1".encode()]
        hand = settings.model_copy(update={"CRM_HTTP_TRANSPORT": "lab"})
        async with CrmClient(hand) as crm:  # the hand-written pool connects directly: refused
            with pytest.raises(CrmUnavailableError):
                await crm.get_features("CUST001")
        assert len(seen) == 1
