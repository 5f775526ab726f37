"""Structured logs (one logfmt line per event) that carry the request id.

Every HTTP request gets an id: the caller's `X-Request-ID` when it is a safe token, else a new
one. It is echoed in the `X-Request-ID` response header, put in problem details, and added to
every log line written while the request runs (`current_request_id()` for code that needs it,
e.g. to pass it on to another service).
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import time
from typing import Any

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


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _REQUEST_ID.get()
        return True


_STANDARD = set(logging.makeLogRecord({}).__dict__) | {
    "message", "asctime", "request_id", "color_message", "taskName",
}  # fmt: skip


class LogfmtFormatter(logging.Formatter):
    """`time level logger request_id msg key=value ...`: greppable and readable."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        fields: dict[str, Any] = {
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or _REQUEST_ID.get(),
            "msg": record.getMessage(),
        }
        fields.update((k, v) for k, v in record.__dict__.items() if k not in _STANDARD)
        line = f"{stamp}Z " + " ".join(f"{k}={_quote(v)}" for k, v in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _quote(value: Any) -> str:
    text = str(value)
    if text and not any(c in text for c in ' "=\n\t'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the API (uvicorn's loggers included, access log off)."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "logfmt",
        "filters": ["request_id"],
        "stream": "ext://sys.stdout",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"logfmt": {"()": LogfmtFormatter}},
        "handlers": {"stdout": handler},
        "loggers": {
            "lab": {"level": level, "handlers": ["stdout"], "propagate": False},
            "uvicorn": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
            "uvicorn.access": {"level": "WARNING", "handlers": ["stdout"], "propagate": False},
        },
        "root": {"level": "WARNING", "handlers": ["stdout"]},
    }
