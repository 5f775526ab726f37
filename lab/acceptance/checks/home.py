"""The dashboard as `lab home` draws it from Prometheus: the fallback where Grafana is absent."""

from __future__ import annotations

import math
import time
from typing import Any

import httpx
from pydantic import Field

from lab.acceptance.checks._base import (
    CheckContext,
    CheckFailed,
    CheckSkipped,
    Outcome,
    Params,
    Schedule,
    Status,
    describe_http_error,
)
from lab.acceptance.checks._http import json_of
from lab.acceptance.checks.kinds import CHECK_KINDS


class HomeParams(Params):
    schedule = Schedule(timeout=30.0)  # live: after the checks that sent predictions
    #: each must feed at least one panel that holds a number
    metrics: list[str] = Field(
        default_factory=lambda: ["prediction_requests_total", "prediction_latency_seconds"],
        min_length=1,
    )


def _has_values(panel: dict[str, Any]) -> bool:
    return any(
        v is not None and math.isfinite(v)
        for t in panel.get("targets", [])
        for s in t.get("series", [])
        for v in s.get("y", [])
    )


def _panels(
    params: HomeParams, ctx: CheckContext, base: str
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """The panels `lab home` draws now, the metrics that feed one with data, and the rest."""
    url = f"{base}/api/dashboard"
    with ctx.client() as client:
        try:
            response = client.get(url)
        except httpx.ConnectError:
            raise CheckFailed(
                f"lab home is not running at {base}",
                "Start the lab with `lab up` (the page alone: `lab start home`, or `lab home`).",
                "用 `lab up` 啟動實驗室（只啟動此頁面：`lab start home` 或 `lab home`）。",
            ) from None
        except httpx.HTTPError as exc:
            raise CheckFailed(describe_http_error(exc, url, ctx.timeout)) from None
    body = json_of(response, "lab home /api/dashboard")
    if body.get("unavailable"):
        raise CheckFailed(f"lab home cannot draw the dashboard: {body['unavailable']}")
    if body.get("prometheus") != ctx.targets.prometheus_url:
        raise CheckSkipped(
            f"not graded: lab home at {base} shows the Prometheus at {body.get('prometheus')}, "
            f"not the one graded ({ctx.targets.prometheus_url or 'none'})"
        )
    panels = [p for p in body.get("panels", []) if isinstance(p, dict)]
    seen, missing = [], []
    for metric in params.metrics:
        holding = [p["title"] for p in panels if _has_values(p)
                   and any(metric in t.get("expr", "") for t in p.get("targets", []))]  # fmt: skip
        if holding:
            seen.append(f"{metric}: {', '.join(repr(t) for t in holding[:3])}")
        else:
            missing.append(metric)
    return panels, seen, missing


@CHECK_KINDS.kind("home_dashboard", HomeParams)
def home_dashboard(params: HomeParams, ctx: CheckContext) -> Outcome:
    """`lab home` draws the dashboard's panels from the Prometheus graded, with data for each
    metric named (prediction counts and latency by default)."""
    base = ctx.settings.home_url
    # Prometheus may not have scraped the API since the checks sent their predictions: ask again
    # once a second, within the check's budget, until every metric feeds a panel.
    deadline = time.monotonic() + max(ctx.timeout - 2, 1)
    while True:
        panels, seen, missing = _panels(params, ctx, base)
        if not missing or time.monotonic() >= deadline:
            break
        time.sleep(1.0)
    if missing:
        raise CheckFailed(
            f"lab home draws {len(panels)} panels, none with data for {', '.join(missing)}",
            "Send some traffic (`lab load --duration 30`), wait for Prometheus's next scrape, "
            "and check the dashboard's queries (M5.dashboard).",
            "送一些流量（`lab load --duration 30`），等 Prometheus 下一次抓取，並檢查儀表板的查詢"
            "（M5.dashboard）。",
        )
    return Outcome(
        Status.PASS, f"lab home draws {len(panels)} panels from Prometheus; " + "; ".join(seen)
    )
