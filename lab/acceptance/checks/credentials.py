"""Which secret `lab check` may send where: only to the addresses the lab's own settings name.

`lab check --crm-url/--grafana-url` may point at someone else's lab (grading a classmate's,
an instructor's roster). Sending the grader's `CRM_TOKEN` or Grafana admin password there would
hand them over, so a URL other than the one settings name for that service gets no credential,
unless the grader passes `--send-credentials` (and so says the address is trusted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from lab.acceptance.checks._base import CheckContext

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of `url`, host lower-cased and the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def may_send(ctx: CheckContext, url: str, own_url: str) -> bool:
    """True when `url` is the lab's own address `own_url` (same origin) or the grader trusts it."""
    return ctx.send_credentials or origin(url) == origin(own_url)


def crm_headers(ctx: CheckContext, url: str) -> dict[str, str]:
    """`Authorization: Bearer CRM_TOKEN` for the lab's own CRM; nothing for any other address."""
    token = ctx.settings.CRM_TOKEN
    if token and may_send(ctx, url, ctx.settings.crm_url):
        return {"authorization": f"Bearer {token}"}
    return {}


def api_headers(ctx: CheckContext, url: str) -> dict[str, str]:
    """`Authorization: Bearer API_TOKEN` for the lab's own API; nothing for any other address."""
    token = ctx.settings.API_TOKEN
    if token and may_send(ctx, url, ctx.settings.api_url):
        return {"authorization": f"Bearer {token}"}
    return {}


def grafana_auth(ctx: CheckContext, url: str, user: str) -> tuple[str, str] | None:
    """(user, GRAFANA_ADMIN_PASSWORD) for the lab's own Grafana; None for any other address."""
    password = ctx.settings.GRAFANA_ADMIN_PASSWORD
    if password and may_send(ctx, url, ctx.settings.grafana_url):
        return (user, password)
    return None


def withheld(ctx: CheckContext, secret: str, url: str) -> str:
    """What a failure message adds when a secret was not sent to `url`."""
    return (
        f" ({secret} is only sent to the lab's own address; add --send-credentials to send it "
        f"to {origin_text(url)})"
    )


def origin_text(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"
