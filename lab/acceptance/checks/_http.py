"""HTTP helpers for checks: one request, and the answer turned into a clear pass or fail."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from lab.acceptance.checks._base import (
    CheckContext,
    CheckFailed,
    CheckSkipped,
    describe_http_error,
    short,
)


def call(
    ctx: CheckContext, client: httpx.Client, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    """Send one request; a transport failure becomes `CheckFailed` naming the URL."""
    if not urlsplit(url).scheme:  # its service has no URL in this run (`--no-service`)
        raise CheckSkipped("not graded: no URL was given for this service")
    try:
        return client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise CheckFailed(describe_http_error(exc, url, ctx.timeout)) from None


def json_of(response: httpx.Response, what: str) -> Any:
    """The JSON body of a 2xx answer; anything else becomes `CheckFailed`."""
    url = str(response.request.url)
    if not response.is_success:
        raise CheckFailed(
            f"{what}: {response.request.method} {url} answered HTTP {response.status_code}: "
            f"{error_text(response)}"
        )
    try:
        return response.json()
    except ValueError:
        raise CheckFailed(
            f"{what}: {url} answered HTTP {response.status_code} but not JSON: "
            f"{short(response.text, 80)}"
        ) from None


def error_text(response: httpx.Response, limit: int = 140) -> str:
    """What an error answer says: a problem-details `detail`/`title`, a `message`, or its text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("detail", "message", "title", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return short(body[key], limit)
    return short(response.text, limit) or "(empty body)"


def get_json(ctx: CheckContext, client: httpx.Client, url: str, what: str, **kwargs: Any) -> Any:
    return json_of(call(ctx, client, "GET", url, **kwargs), what)
