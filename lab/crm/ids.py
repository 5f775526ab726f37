"""Strict patterns for every id that reaches a URL path, a query or SQL (the CRM's own; the
customer id and model version patterns are `lab.ids`').

An id is checked here before it is used anywhere: the seed put the raw id into a URL path, so
`../x`, `%2e%2e`, quotes or a 10 kB string went straight to the CRM.
"""

from __future__ import annotations

import re

from lab.ids import CUSTOMER_ID_PATTERN

#: Idempotency keys: a UUID, the API's request id, any short token of letters, digits and `_.:-`.
REQUEST_ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,128}$"
#: Segment names, as in config/segments.yml: `high_risk`, `loyal`.
SEGMENT_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"

_CUSTOMER_ID = re.compile(CUSTOMER_ID_PATTERN)
_SHOWN = 40


class InvalidIdError(ValueError):
    """An id does not match its pattern; the message says what is allowed."""


def shown(value: str) -> str:
    """`value` quoted for an error message, cut short so a 10 kB id is not echoed back."""
    text = value if len(value) <= _SHOWN else value[:_SHOWN] + f"... ({len(value)} characters)"
    return repr(text)


def check_customer_id(value: str) -> str:
    """Return `value` if it is a valid customer id, else raise `InvalidIdError`."""
    if _CUSTOMER_ID.fullmatch(value):
        return value
    raise InvalidIdError(
        f"customer_id {shown(value)} is not a valid customer id: use 1-64 letters, digits, "
        "'_' or '-', starting with a letter or digit (for example CUST001 or CUST_TEST_007)"
    )
