"""Part 3 of the page, the dashboard: the panels of the lab's Grafana dashboard JSON (the same
file Grafana is provisioned with, the one source), asked of Prometheus's HTTP API and drawn by
plotly.js in the browser (plotly's wheel ships it; nothing is fetched at run time).

Grafana's variables are given the values Grafana would use: `$__rate_interval` is one minute
(at least four scrapes of 5 s), `$__range` the window shown, `$__interval` the step.
Each panel carries the exact queries sent, so anyone can ask Prometheus the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from lab.observability.grafana import DASHBOARD_FILE
from lab.settings import Settings

WINDOW_SECONDS = 15 * 60
POINTS = 120  # per series: step = window / points
RATE_INTERVAL = "1m"
TIMEOUT = 5.0


class DashboardUnavailable(RuntimeError):
    """The panels cannot be drawn now; the message says why (shown instead of the charts)."""


def dashboard_file(settings: Settings) -> Path:
    return settings.LAB_CONFIG_DIR / "grafana" / "dashboards" / DASHBOARD_FILE


def panels(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel that draws something, rows' nested panels included, in dashboard order."""
    for panel in doc.get("panels") or []:
        if not isinstance(panel, dict):
            continue
        if panel.get("type") == "row":
            yield from panels({"panels": panel.get("panels") or []})
        elif panel.get("targets"):
            yield panel


def load(settings: Settings) -> dict[str, Any]:
    path = dashboard_file(settings)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DashboardUnavailable(f"no dashboard file {path}: run `lab dashboard`") from None
    except (OSError, ValueError) as exc:
        raise DashboardUnavailable(f"{path} cannot be read: {exc}") from None
    doc = doc.get("dashboard", doc) if isinstance(doc, dict) else {}
    return doc if isinstance(doc, dict) else {}


def resolve(expr: str, window: int, step: int) -> str:
    """Grafana's variables replaced by the values Grafana would give them."""
    return (
        expr.replace("$__rate_interval", RATE_INTERVAL)
        .replace("$__range", f"{window}s")
        .replace("$__interval", f"{step}s")
    )


def legend(template: str, labels: dict[str, str]) -> str:
    """A series name from Grafana's legend format (`{{model_version}}`), or its labels."""
    if template and template != "__auto":
        name = template
        for key, value in labels.items():
            name = name.replace("{{" + key + "}}", value).replace("{{ " + key + " }}", value)
        return name
    shown = {k: v for k, v in labels.items() if k != "__name__"}
    return ", ".join(f"{k}={v}" for k, v in shown.items()) or "value"


def _ask(client: httpx.Client, base: str, path: str, params: dict[str, str]) -> list[Any]:
    try:
        response = client.get(base + path, params=params)
    except httpx.HTTPError as exc:
        raise DashboardUnavailable(f"Prometheus at {base} does not answer ({exc})") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or body.get("status") != "success":
        raise DashboardUnavailable(
            f"Prometheus refused a query ({response.status_code}): {body.get('error', '')}"
        )
    result = body.get("data", {}).get("result", [])
    return result if isinstance(result, list) else []


def _series(result: list[Any], template: str, instant: bool) -> list[dict[str, Any]]:
    out = []
    for item in result:
        labels = {str(k): str(v) for k, v in (item.get("metric") or {}).items()}
        points = [item["value"]] if instant and "value" in item else item.get("values", [])
        xs = [float(t) for t, _ in points]
        ys = [_number(v) for _, v in points]
        out.append({"name": legend(template, labels), "labels": labels, "t": xs, "y": ys})
    return out


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number or number in (float("inf"), float("-inf")) else number


def query_panels(settings: Settings, now: float | None = None) -> dict[str, Any]:
    """Every panel with its queries (as sent) and the series Prometheus answered."""
    doc = load(settings)
    end = int(now if now is not None else time.time())
    start = end - WINDOW_SECONDS
    step = max(1, WINDOW_SECONDS // POINTS)
    base = settings.prometheus_url
    drawn = []
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as client:
        for panel in panels(doc):
            targets = []
            for target in panel.get("targets", []):
                expr = resolve(str(target.get("expr", "")), WINDOW_SECONDS, step)
                instant = bool(target.get("instant")) and not target.get("range")
                params = (
                    {"query": expr, "time": str(end)}
                    if instant
                    else {"query": expr, "start": str(start), "end": str(end), "step": str(step)}
                )
                path = "/api/v1/query" if instant else "/api/v1/query_range"
                result = _ask(client, base, path, params)
                targets.append({
                    "expr": expr,
                    "path": path,
                    "params": params,
                    "legend": str(target.get("legendFormat", "")),
                    "format": str(target.get("format", "")),
                    "series": _series(result, str(target.get("legendFormat", "")), instant),
                })  # fmt: skip
            defaults = (panel.get("fieldConfig") or {}).get("defaults") or {}
            drawn.append({
                "id": panel.get("id"),
                "title": str(panel.get("title", "")),
                "description": str(panel.get("description", "")),
                "type": str(panel.get("type", "")),
                "unit": str(defaults.get("unit", "")),
                "targets": targets,
            })  # fmt: skip
    return {
        "title": str(doc.get("title", "")),
        "uid": str(doc.get("uid", "")),
        "start": start,
        "end": end,
        "step": step,
        "prometheus": base,
        "panels": drawn,
    }
