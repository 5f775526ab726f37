"""Bearer tokens: the one guard of the lab's apps (`require_bearer`), reading `Authorization:
Bearer <token>` and comparing it in constant time."""

from __future__ import annotations

import hmac

from lab.web.problems import ProblemError

__all__ = ["bearer_token", "require_bearer", "token_matches"]


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value; None for any other form."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def token_matches(given: str, expected: str) -> bool:
    """`given == expected`, compared in constant time (any characters, never an exception)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def require_bearer(
    authorization: str, expected: str | None, *, key: str, realm: str, off: str = "",
    why: str = "",
) -> None:  # fmt: skip
    """Refuse a request whose `authorization` header is not `Bearer <expected>`: a 401 problem
    with a `WWW-Authenticate` challenge naming `realm`, saying which setting (`key`) to send;
    a 403 saying `off` when no token is set (the guarded route is off). `why` ends the 401's
    detail (e.g. why this caller needs a token at all)."""
    if not expected:
        raise ProblemError(403, off or f"{key} is not set: run `lab init` to write one to .env")
    challenge = {"WWW-Authenticate": f'Bearer realm="{realm}"'}
    given = bearer_token(authorization)
    if given is None:
        detail = f"send `Authorization: Bearer <{key}>` (the token is in .env){why}"
        raise ProblemError(401, detail, headers=challenge)
    if not token_matches(given, expected):
        raise ProblemError(401, f"the bearer token is not {key} (see .env){why}", headers=challenge)
