"""Checks of the monitoring stack: Prometheus's query API and Grafana's dashboard API."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
from pydantic import Field

from lab.acceptance.checks import credentials
from lab.acceptance.checks._base import (
    CheckContext,
    CheckFailed,
    CheckSkipped,
    Outcome,
    Params,
    Schedule,
    Status,
    describe_http_error,
    short,
)
from lab.acceptance.checks._http import call, get_json, json_of
from lab.acceptance.checks.kinds import CHECK_KINDS

UID = r"^[A-Za-z0-9_\-]{1,40}$"


class PromParams(Params):
    schedule = Schedule(timeout=30.0)
    query: str = "prediction_requests_total"
    poll_seconds: float = Field(1.0, gt=0, le=10)


@CHECK_KINDS.kind("prometheus_query", PromParams)
def prometheus_query(params: PromParams, ctx: CheckContext) -> Outcome:
    """Prometheus's query API returns at least one series for the query (polled until timeout)."""
    base = ctx.targets.prometheus_url
    url = f"{base}/api/v1/query"
    deadline = time.monotonic() + max(ctx.timeout - params.poll_seconds, 0)
    with ctx.client() as client:
        while True:
            body = get_json(ctx, client, url, "Prometheus query", params={"query": params.query})
            result = body.get("data", {}).get("result", []) if isinstance(body, dict) else []
            if body.get("status") == "success" and result:
                break
            if time.monotonic() >= deadline:
                raise CheckFailed(
                    f"Prometheus has no series for {params.query!r} after {ctx.timeout:g} s "
                    f"(status {body.get('status')!r}); is it scraping the API?"
                )
            time.sleep(params.poll_seconds)
        facts = _prometheus_version(client, base)
    values = ", ".join(_series(result)[:3])
    return Outcome(Status.PASS, f"{len(result)} series for {params.query}: {values}", facts)


def _series(result: list[dict[str, Any]]) -> list[str]:
    out = []
    for item in result:
        metric = item.get("metric", {})
        labels = ",".join(
            f"{k}={v}" for k, v in sorted(metric.items()) if k not in ("__name__", "instance")
        )
        value = (item.get("value") or [None, "?"])[1]
        out.append(f"{{{short(labels, 70)}}} {value}")
    return out


def _prometheus_version(client: httpx.Client, base: str) -> dict[str, str]:
    # a version is a fact for the report only: any odd answer just leaves it out
    with contextlib.suppress(httpx.HTTPError, ValueError, AttributeError, KeyError, TypeError):
        version = client.get(f"{base}/api/v1/status/buildinfo").json()["data"]["version"]
        return {"prometheus": str(version)}
    return {}


DASHBOARDS = ["dashboards/*.json", "config/grafana/dashboards/*.json"]


def dashboard_file(ctx: CheckContext, given: str | None) -> str:
    """The project's dashboard file (relative): `given`, else the first of DASHBOARDS."""
    if given:
        return given
    found = ctx.first_file(*DASHBOARDS)
    if found is None:
        raise CheckFailed(f"no dashboard file in {ctx.project_dir} ({' or '.join(DASHBOARDS)})")
    return found.relative_to(ctx.project_dir).as_posix()


class GrafanaParams(Params):
    dashboard_file: str | None = None  # default: the first of DASHBOARDS
    user: str = "admin"
    require_provisioned: bool = True


def panel_titles(panels: list[Any]) -> Iterator[str]:
    """Titles of every panel, rows' nested panels included (row panels themselves excluded)."""
    for panel in panels or []:
        if not isinstance(panel, dict):
            continue
        if panel.get("type") == "row":
            yield from panel_titles(panel.get("panels", []))
        else:
            yield str(panel.get("title", ""))


def provisioned_dashboard(ctx: CheckContext, relative: str) -> tuple[str, list[str]]:
    """(uid, panel titles) of the dashboard file the lab provisions."""
    path = ctx.project_file(relative)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckFailed(f"no dashboard file {relative}") from None
    except ValueError as exc:
        raise CheckFailed(f"{relative} is not valid JSON: {exc}") from None
    doc = doc.get("dashboard", doc) if isinstance(doc, dict) else {}
    uid = str(doc.get("uid", ""))
    if not re.fullmatch(UID, uid):
        raise CheckFailed(f"{relative} has no valid `uid` (1-40 letters, digits, _ or -)")
    return uid, list(panel_titles(doc.get("panels", [])))


@CHECK_KINDS.kind("grafana_dashboard", GrafanaParams)
def grafana_dashboard(params: GrafanaParams, ctx: CheckContext) -> Outcome:
    """Grafana serves the provisioned dashboard (same uid) with every panel of the file."""
    base = ctx.targets.grafana_url
    uid, expected = provisioned_dashboard(ctx, dashboard_file(ctx, params.dashboard_file))
    auth = credentials.grafana_auth(ctx, base, params.user)  # the lab's own Grafana only
    with ctx.client() as client:
        try:
            health = client.get(f"{base}/api/health")
        except httpx.ConnectError:
            raise CheckSkipped(
                f"Grafana is not running at {base} (start it with `lab up`, or `lab fetch grafana` "
                "where it can be installed)"
            ) from None
        except httpx.HTTPError as exc:
            raise CheckFailed(describe_http_error(exc, f"{base}/api/health", ctx.timeout)) from None
        info = json_of(health, "Grafana /api/health")
        if info.get("database") != "ok":
            raise CheckFailed(f"Grafana's database is not ok: {short(json.dumps(info))}")
        response = call(ctx, client, "GET", f"{base}/api/dashboards/uid/{uid}", auth=auth)
    if response.status_code in (401, 403):
        raise CheckFailed(
            f"Grafana refused user {params.user} with GRAFANA_ADMIN_PASSWORD "
            f"(HTTP {response.status_code})"
            if auth
            else f"Grafana refused anonymous access (HTTP {response.status_code})"
            + credentials.withheld(ctx, "GRAFANA_ADMIN_PASSWORD", base)
        )
    if response.status_code == 404:
        raise CheckFailed(f"Grafana has no dashboard uid {uid!r}: is provisioning configured?")
    body = json_of(response, f"Grafana dashboard {uid}")
    meta, dashboard = body.get("meta", {}), body.get("dashboard", {})
    if params.require_provisioned and meta.get("provisioned") is not True:
        raise CheckFailed(f"dashboard {uid!r} exists but was not provisioned from config/grafana")
    served = list(panel_titles(dashboard.get("panels", [])))
    missing = [t for t in expected if t not in served]
    if not served or missing:
        raise CheckFailed(
            f"dashboard {uid!r} serves {len(served)} panels; missing: {', '.join(missing) or 'all'}"
        )
    facts = {"grafana": str(info.get("version", "?"))}
    return Outcome(
        Status.PASS,
        f"dashboard {uid!r} ({dashboard.get('title', '?')}): {len(served)} panels",
        facts,
    )
