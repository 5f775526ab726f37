"""The request id: every HTTP request gets one, echoed in `X-Request-ID` and in problem details.

The caller's `X-Request-ID` is kept when it is a safe token, else a new one is made. While the
request runs, `current_request_id()` gives it (log filters add it to every line; a handler may
pass it on to another service).
"""

from __future__ import annotations

import contextvars
import os
import re

from litestar.types import ASGIApp, Message, Receive, Scope, Send

_REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
HEADER = b"x-request-id"


def current_request_id() -> str:
    """The id of the request being handled ("-" outside a request)."""
    return _REQUEST_ID.get()


def request_id_for(given: str) -> str:
    """The caller's id when it is a safe token (letters, digits, . _ : -; ≤ 64), else a new one."""
    return given if given and _SAFE_ID.match(given) else os.urandom(8).hex()


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: choose the request id, expose it in the context and the response."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == HEADER), b"")
        rid = request_id_for(given.decode("latin-1"))
        token = _REQUEST_ID.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (HEADER, rid.encode())]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            _REQUEST_ID.reset(token)

    return middleware
