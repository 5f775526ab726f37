"""Refusing a browser's cross-site request to a route that changes state (CSRF on loopback).

A web page the learner opens can make the browser send a *simple* cross-origin request (a form
POST, or `fetch(..., {mode: "no-cors"})`) to 127.0.0.1 without any preflight. Such a request
cannot carry an `Authorization` header, a custom header or `Content-Type: application/json`
(each forces a CORS preflight, which the lab's apps never grant), and the browser always marks
it: an `Origin` header naming the page's origin, and `Sec-Fetch-Site: cross-site` (or
`same-site`). curl, httpx, `lab segment` and `lab check` send neither.

So on loopback, where a route is open without a token, a request marked as coming from another
origin is refused (403, saying why and what works instead), unless it carries the route's
bearer token (`/crm_segment_update`). `refuse_cross_site` is the guard of an open route that
writes nothing but that a page must not drive either (`/predict`: a page's form POSTs would
fill its metrics and the drift windows). The app's own pages (Swagger UI at /swagger: same
origin) keep working. The allowed origins are the loopback names with the port the server
listens on, never the `Host` header (a DNS-rebinding page controls that).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from lab.web.problems import ProblemError

__all__ = ["LOOPBACK_NAMES", "connection_reason", "cross_site_reason", "refuse_cross_site"]

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
_CROSS = frozenset({"cross-site", "same-site"})


def cross_site_reason(origin: str | None, fetch_site: str | None, port: int | None) -> str | None:
    """Why a request with these headers comes from another origin, or None when it does not.

    `origin`: the `Origin` header; `fetch_site`: `Sec-Fetch-Site`; `port`: the port the server
    listens on (the only port an own page can have)."""
    if fetch_site is not None and fetch_site.strip().lower() in _CROSS:
        return f"the browser marked it as {fetch_site.strip().lower()} (Sec-Fetch-Site)"
    if origin is None:
        return None  # not a browser's cross-origin request (curl, httpx, lab segment)
    if _own_origin(origin, port):
        return None
    return f"it comes from a page at {origin[:100]!r}, another origin (Origin header)"


def _own_origin(origin: str, port: int | None) -> bool:
    try:
        parts = urlsplit(origin.strip())
        origin_port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and (parts.hostname or "") in LOOPBACK_NAMES
        and origin_port is not None
        and origin_port == port
    )


def connection_reason(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """`cross_site_reason` of a request, with the port its server listens on."""
    server = connection.scope.get("server")
    port = server[1] if server else None
    headers = connection.headers
    return cross_site_reason(headers.get("origin"), headers.get("sec-fetch-site"), port)


def refuse_cross_site(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """Guard: a request a browser marks as coming from another origin is refused (403)."""
    reason = connection_reason(connection)
    if reason is not None:
        raise ProblemError(
            403, f"a web page cannot call {connection.url.path}: {reason}. Call it from a "
            "terminal (curl, httpx, `lab load`) or from the API's own page (/swagger)",
            outcome="cross_site",
        )  # fmt: skip
