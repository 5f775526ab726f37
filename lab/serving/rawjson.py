"""`JSONBytes`: /predict's answer written to ASGI by hand, kept only for `lab bench` to measure.

/predict returns its msgspec Struct and Litestar encodes it (the framework's idiom, the default).
An earlier version skipped Litestar's Response on the hot path: it encoded the Struct itself and
answered with a bare ASGI app (the same status, body and headers). `lab bench` starts a second
API with PREDICT_JSON_BYTES=true and prints both req/s, their ratio and the decision: the
workaround stays the default only if it is at least 1.5x faster at concurrency 1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec
from litestar import Request
from litestar.types import ASGIApp, Receive, Scope, Send

_ENCODER = msgspec.json.Encoder()
_JSON = (b"content-type", b"application/json")


class JSONBytes:
    """A 200 answer whose JSON is already encoded: Litestar's Response is skipped."""

    __slots__ = ("body",)

    def __init__(self, body: bytes):
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = (b"content-length", str(len(self.body)).encode())
        await send({"type": "http.response.start", "status": 200, "headers": [_JSON, length]})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


def handler(
    idiomatic: Callable[[Request], Awaitable[msgspec.Struct]],
) -> Callable[[Request], Awaitable[ASGIApp]]:
    """A /predict handler that answers the idiomatic handler's Struct as `JSONBytes`."""

    async def predict(request: Request) -> ASGIApp:
        return JSONBytes(_ENCODER.encode(await idiomatic(request)))

    return predict
