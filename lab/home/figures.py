"""A dashboard panel as a plotly figure (`{"data": [...], "layout": {...}}`): plotly.js draws it.

Grafana's panel types map to plotly's traces: timeseries -> lines, stat -> an indicator with
the last value, heatmap -> a heatmap of buckets over time, piechart -> a pie.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

#: Grafana units -> plotly axis tick formats
FORMATS = {"percentunit": ".1%", "s": "~s", "reqps": "~g", "short": ".4~g", "none": ""}
SUFFIX = {"s": "s", "reqps": "/s"}


def _time(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _layout(panel: dict[str, Any], **extra: Any) -> dict[str, Any]:
    layout = {
        "title": {"text": panel["title"], "font": {"size": 14}},
        "margin": {"l": 60, "r": 10, "t": 36, "b": 30},
        "height": 270,
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.2},
        "paper_bgcolor": "rgba(0,0,0,0)",
    }
    layout.update(extra)
    return layout


def _all_series(panel: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for t in panel["targets"] for s in t["series"]]


def figure(panel: dict[str, Any]) -> dict[str, Any]:
    kind, series = panel["type"], _all_series(panel)
    unit = panel.get("unit", "")
    if kind == "stat":
        latest = [s for s in series if s["y"] and s["y"][-1] is not None]
        latest.sort(key=lambda s: s["t"][-1])  # several series: the one seen last
        last = latest[-1]["y"][-1] if latest else None
        data = [{
            "type": "indicator", "mode": "number", "value": last,
            "number": {"valueformat": FORMATS.get(unit, "")},
        }]  # fmt: skip
        return {"data": data, "layout": _layout(panel, showlegend=False)}
    if kind == "piechart":
        data = [{
            "type": "pie", "hole": 0.4,
            "labels": [s["name"] for s in series],
            "values": [s["y"][-1] if s["y"] else 0 for s in series],
        }]  # fmt: skip
        return {"data": data, "layout": _layout(panel)}
    if kind == "heatmap":
        rows = sorted(series, key=lambda s: _bound(s["labels"].get("le", "")))
        times = sorted({t for s in rows for t in s["t"]})
        z = [[dict(zip(s["t"], s["y"], strict=False)).get(t) for t in times] for s in rows]
        data = [{
            "type": "heatmap", "colorscale": "Viridis",
            "x": [_time(t) for t in times], "y": [s["labels"].get("le", s["name"]) for s in rows],
            "z": z,
        }]  # fmt: skip
        layout = _layout(panel, yaxis={"type": "category", "title": {"text": "le (s)"}},
                         xaxis={"type": "date", "tickformat": "%H:%M"})  # fmt: skip
        return {"data": data, "layout": layout}
    data = [
        {"type": "scatter", "mode": "lines", "name": s["name"],
         "x": [_time(t) for t in s["t"]], "y": s["y"]}
        for s in series
    ]  # fmt: skip
    yaxis = {"tickformat": FORMATS.get(unit, ""), "ticksuffix": SUFFIX.get(unit, ""),
             "rangemode": "tozero"}  # fmt: skip
    xaxis = {"type": "date", "tickformat": "%H:%M"}
    return {"data": data, "layout": _layout(panel, yaxis=yaxis, xaxis=xaxis)}


def _bound(le: str) -> float:
    try:
        return float(le)
    except ValueError:
        return float("inf")
