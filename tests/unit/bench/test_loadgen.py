"""The benchmark's load generator against a real socket server in this process."""

from __future__ import annotations

import asyncio

import pytest

from lab.bench import loadgen


async def _serve(status: int, chunked: bool):
    body = b'{"ok":1}'

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                if chunked:
                    payload = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
                    writer.write(b"HTTP/1.1 %d X\r\nTransfer-Encoding: chunked\r\n\r\n" % status
                                 + payload)  # fmt: skip
                else:
                    writer.write(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s"
                                 % (status, len(body), body))  # fmt: skip
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def _measure(
    status: int, chunked: bool, concurrency: int, seconds: float = 0.3
) -> loadgen.Result:
    server = await _serve(status, chunked)
    port = server.sockets[0].getsockname()[1]
    async with server:
        req = loadgen.Request("127.0.0.1", port, "/predict", b'{"features": [1]}')
        return await loadgen.measure(req, concurrency, seconds=seconds, warmup=0.05)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_counts_completed_requests_and_latencies(chunked: bool) -> None:
    result = asyncio.run(_measure(200, chunked, concurrency=3, seconds=1.0))
    assert result.completed > 10
    assert result.failures == 0
    assert result.statuses == {200: result.completed}
    assert result.last_body == b'{"ok":1}'
    assert 0 < result.percentile_ms(50) <= result.percentile_ms(99)
    assert result.rps == pytest.approx(result.completed / result.seconds)


def test_error_answers_are_failures_not_throughput() -> None:
    # a whole second: on a loaded machine 0.3 s may pass before the first answer arrives
    result = asyncio.run(_measure(500, False, concurrency=2, seconds=1.0))
    assert result.completed == 0
    assert result.failures > 0
    assert set(result.statuses) == {500}


def test_a_refused_connection_is_a_failure() -> None:
    from tests.support import free_port

    req = loadgen.Request("127.0.0.1", free_port(), "/predict", b"{}")
    result = asyncio.run(loadgen.measure(req, 2, seconds=0.1, warmup=0))
    assert (result.completed, result.failures) == (0, 2)
