"""Log text that cannot rewrite the terminal: control characters escaped, one line per event.

A request path, header or id may carry ESC sequences, carriage returns or newlines; written raw
to a terminal they move the cursor, recolour or forge log lines. Every lab log line escapes
them (`\\x1b`, `\\r`, `\\n`, `\\u2028`); a traceback keeps its own line breaks.
"""

from __future__ import annotations

import logging
import re

from uvicorn.logging import AccessFormatter, DefaultFormatter

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_control(text: str) -> str:
    """`text` with every control character as a visible escape (a backslash is doubled first
    only where it could be confused with one: it is kept as is, escapes start with `\\x`/`\\u`)."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class EscapingFormatter(logging.Formatter):
    """A `logging.Formatter` whose message part is escaped (the traceback is left as it is)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape_control(super().formatMessage(record))


class EscapingDefaultFormatter(DefaultFormatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape_control(super().formatMessage(record))


class EscapingAccessFormatter(AccessFormatter):
    """uvicorn's access line (it holds the request path, decoded) with controls escaped."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape_control(super().formatMessage(record))
