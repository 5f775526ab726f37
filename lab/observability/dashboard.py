"""`lab dashboard`: the Grafana dashboard of the lab, as code (grafana-foundation-sdk, 11.6 schema).

`build()` is deterministic: it depends on nothing but this module and the SDK, so the committed
`config/grafana/dashboards/mlops-lab.json` can be compared with a fresh build (`--check`).
Every panel queries the provisioned Prometheus datasource by its fixed uid.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import dashboard as gd
from grafana_foundation_sdk.builders import heatmap, piechart
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models.heatmap import HeatmapColorMode
from grafana_foundation_sdk.models.piechart import PieChartType

from lab import metric_names as m
from lab.files import write_atomic
from lab.observability import version_panels
from lab.observability.grafana import DASHBOARD_FILE
from lab.observability.panels import (
    DATASOURCE,
    RATE,
    pos,
    query,
    series,
    single_stat,
    threshold_line,
    thresholds,
)
from lab.settings import Settings

UID = "mlops-lab"
TITLE = "mlops-lab: model serving"
SLO_SECONDS = Settings.model_fields["LATENCY_SLO_SECONDS"].default
FAILED = f'outcome!="{m.PREDICTION_OK}"'
SERVER_FAILED = f'outcome!~"{m.PREDICTION_OK}|{m.PREDICTION_CLIENT_ERROR}"'


def output_path(settings: Settings) -> Path:
    return settings.LAB_CONFIG_DIR / "grafana" / "dashboards" / DASHBOARD_FILE


def _traffic_row(y: int) -> list[Any]:
    rate = series(
        "Prediction rate by model version",
        "Predictions per second answered by each model version (every /predict call).",
        pos(8, 12, 0, y),
        "reqps",
        query(f"sum by (model_version) (rate({m.PREDICTIONS}[{RATE}]))", "{{model_version}}"),
    )
    total = single_stat(
        "Total predictions",
        "Predictions since the API started, all versions and outcomes.",
        pos(8, 6, 12, y),
        query(f"sum({m.PREDICTIONS})", "predictions"),
    ).graph_mode(common.BigValueGraphMode.AREA)
    loaded = (
        single_stat(
            "Model loaded",
            "1 when the API has a model to answer with; the labels say which, from where.",
            pos(8, 6, 18, y),
            query(
                f"max by (model_version, source) ({m.MODEL_LOADED}) == 1"
                f" or max({m.MODEL_LOADED}) == 0",
                "{{model_version}} ({{source}})",
            ),
        )
        .thresholds(thresholds((None, "red"), (1, "green")))
        .mappings(
            [
                dm.ValueMap(
                    options={
                        "0": dm.ValueMappingResult(text="not loaded", color="red", index=0),
                        "1": dm.ValueMappingResult(text="loaded", color="green", index=1),
                    }
                )
            ]
        )
    )
    return [rate, total, loaded]


def _latency_row(y: int) -> list[Any]:
    quantiles = [
        query(
            f"histogram_quantile({q}, sum by (le) (rate({m.LATENCY}_bucket[{RATE}])))",
            f"p{int(q * 100)}",
            ref,
        )
        for q, ref in ((0.5, "A"), (0.95, "B"), (0.99, "C"))
    ]
    latency = (
        series(
            "Prediction latency p50 / p95 / p99",
            f"Quantiles of the latency histogram; the red line is the SLO ({SLO_SECONDS} s).",
            pos(8, 12, 0, y),
            "s",
            *quantiles,
        )
        .thresholds(thresholds((None, "green"), (SLO_SECONDS, "red")))
        .thresholds_style(threshold_line())
    )
    heat = (
        heatmap.Panel()
        .title("Prediction latency distribution")
        .description(
            "How many predictions fell in each latency bucket of the histogram, over time."
        )
        .datasource(DATASOURCE)
        .grid_pos(pos(8, 12, 12, y))
        .calculate(False)
        .y_axis(heatmap.YAxisConfig().unit("s"))
        .cell_values(heatmap.CellValues().unit("short"))
        .color(
            heatmap.HeatmapColorOptions().mode(HeatmapColorMode.SCHEME).scheme("Oranges").steps(64)
        )
        .with_target(
            query(f"sum by (le) (increase({m.LATENCY}_bucket[{RATE}]))", "{{le}}", heat=True)
        )
    )
    return [latency, heat]


def _quality_row(y: int) -> list[Any]:
    share = (
        piechart.Panel()
        .title("Model version share of traffic")
        .description("Share of the predictions over the selected time range, by model version.")
        .datasource(DATASOURCE)
        .grid_pos(pos(8, 8, 0, y))
        .pie_type(PieChartType.DONUT)
        .unit("short")
        .with_target(
            query(
                f"sum by (model_version) (increase({m.PREDICTIONS}[$__range]))",
                "{{model_version}}",
                instant=True,
            )
        )
    )
    errors = series(
        "Prediction error ratio",
        "Share of /predict calls that failed: all failures (bad input included) and server-side"
        " ones only (no model, internal error), which the alert watches.",
        pos(8, 8, 8, y),
        "percentunit",
        *(
            query(
                f"(sum(rate({m.PREDICTIONS}{{{matcher}}}[{RATE}])) or vector(0))"
                f" / sum(rate({m.PREDICTIONS}[{RATE}]))",
                legend,
                ref,
            )
            for matcher, legend, ref in (
                (FAILED, "all failures", "A"),
                (SERVER_FAILED, "server errors", "B"),
            )
        ),
    ).thresholds(thresholds((None, "green"), (0.05, "red")))
    http = series(
        "API HTTP requests by status",
        "Every HTTP request the API answered (Litestar's metrics), by status code.",
        pos(8, 8, 16, y),
        "reqps",
        query(f"sum by (status_code) (rate({m.API_HTTP_REQUESTS}[{RATE}]))", "{{status_code}}"),
    )
    return [share, errors, http]


def _crm_row(y: int) -> list[Any]:
    updates = series(
        "CRM segment updates by outcome and segment",
        "Calls of /crm_segment_update per second: which segment was written and how it went.",
        pos(8, 12, 0, y),
        "reqps",
        query(
            f"sum by (outcome, segment) (rate({m.CRM_UPDATES}[{RATE}]))",
            "{{segment}} · {{outcome}}",
        ),
    )
    calls = series(
        "CRM call latency p95 by operation",
        "How long the API waits for the CRM, per operation (read the customer, write the segment).",
        pos(8, 8, 12, y),
        "s",
        query(
            f"histogram_quantile(0.95, sum by (le, operation) (rate({m.CRM_CALL}_bucket[{RATE}])))",
            "{{operation}}",
        ),
    )
    reloads = single_stat(
        "Model reload failures",
        "Failed attempts to load a new champion model over the selected time range.",
        pos(8, 4, 20, y),
        query(f"sum(increase({m.RELOAD_FAILURES}[$__range])) or vector(0)", "failures"),
    ).thresholds(thresholds((None, "green"), (1, "red")))
    return [updates, calls, reloads]


def build() -> dict[str, Any]:
    """The dashboard as a JSON-ready dict (`id` null, datasource by uid)."""
    board = (
        gd.Dashboard(TITLE)
        .uid(UID)
        .description(
            "Traffic, latency, errors, CRM updates, model versions and input drift of the lab's"
            " model API."
        )
        .tags(["mlops-lab", "generated"])
        .refresh("5s")
        .time("now-15m", "now")
        .timezone("browser")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .readonly()
    )
    rows = (("Traffic", _traffic_row), ("Latency", _latency_row), ("Quality", _quality_row),
            ("CRM integration", _crm_row),
            ("Model versions", version_panels.versions_row),
            ("Input drift", version_panels.drift_row))  # fmt: skip
    y = 0
    for title, panels in rows:
        board = board.with_row(gd.Row(title).grid_pos(pos(1, 24, 0, y)))
        for panel in panels(y + 1):
            board = board.with_panel(panel)
        y += 9
    doc = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    doc["id"] = None
    for number, panel in enumerate(doc["panels"], start=1):
        panel["id"] = number
    return doc


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def expressions(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query of every panel, in order."""
    found = []
    for panel in doc.get("panels", []):
        for target in panel.get("targets", []) or []:
            if target.get("expr"):
                found.append((panel.get("title", ""), target["expr"]))
    return found


def write(path: Path) -> bool:
    """Write the dashboard; return whether the file changed."""
    text = render()
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    if old == text:
        return False
    write_atomic(path, text)
    return True
