"""Structured logs (one logfmt line per event) that carry the request id.

The id itself (chosen per request, echoed in `X-Request-ID`) is `lab.web.request_id`'s; every
log line written while a request runs carries it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from lab.web.logtext import escape_control
from lab.web.request_id import current_request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
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
            "request_id": getattr(record, "request_id", None) or current_request_id(),
            "msg": record.getMessage(),
        }
        fields.update((k, v) for k, v in record.__dict__.items() if k not in _STANDARD)
        line = f"{stamp}Z " + " ".join(f"{k}={_quote(v)}" for k, v in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _quote(value: Any) -> str:
    """A logfmt value: quoted when it holds a space, quote or `=`; control characters escaped
    (a path or id with ESC or CR/LF cannot rewrite the terminal or forge a line)."""
    text = str(value)
    if text and not any(c in text for c in ' "=\\') and not _has_control(text):
        return text
    return '"' + escape_control(text.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def _has_control(text: str) -> bool:
    return escape_control(text) != text


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
