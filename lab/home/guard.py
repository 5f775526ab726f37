"""Who may change the lab through the page: the page itself, and nobody else.

Every state-changing request (POST) must carry the per-run token the page embeds
(`X-Lab-Token`) and an `Origin` that is the page's own address. A page served by another site
cannot read the token (no CORS headers; the page is never framed) and its browser sends its own
Origin, so it cannot fire an action. `Host` is checked on every request by Litestar's
`allowed_hosts` (a DNS-rebinding site cannot talk to the page under its own name).
"""

from __future__ import annotations

import hmac
import secrets

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

TOKEN_HEADER = "x-lab-token"
#: Host names the page answers under (with its port); the lab binds loopback only.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def new_token() -> str:
    """A fresh token for one run of `lab home` (never written anywhere but the page)."""
    return secrets.token_urlsafe(24)


def own_origins(port: int) -> frozenset[str]:
    return frozenset(f"http://{name}:{port}" for name in LOOPBACK_NAMES)


def allowed_hosts(port: int) -> list[str]:
    return [f"{name}:{port}" for name in LOOPBACK_NAMES] + list(LOOPBACK_NAMES)


def refusal(origin: str | None, token: str | None, expected: str, origins: frozenset[str]) -> str:
    """Why a state-changing request is refused ("" when it may go ahead)."""
    if not origin:
        return "no Origin header: actions are taken from the lab home page only"
    if origin not in origins:
        return f"Origin {origin} is not this page: actions are taken from the lab home page only"
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        return "missing or wrong page token: reload the lab home page"
    return ""


def same_page(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Litestar guard for every POST route: the page's token and Origin, else 403."""
    state = connection.app.state
    why = refusal(
        connection.headers.get("origin"),
        connection.headers.get(TOKEN_HEADER),
        state["token"],
        state["origins"],
    )
    if why:
        raise PermissionDeniedException(detail=why)
