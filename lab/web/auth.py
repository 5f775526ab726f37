"""Bearer tokens: reading `Authorization: Bearer <token>` and comparing it in constant time."""

from __future__ import annotations

import hmac


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value; None for any other form."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def token_matches(given: str, expected: str) -> bool:
    """`given == expected`, compared in constant time (any characters, never an exception)."""
    return hmac.compare_digest(given.encode(), expected.encode())
