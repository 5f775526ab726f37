"""The dashboard part: the Grafana dashboard's panels, asked of Prometheus, as plotly figures."""

from __future__ import annotations

import json

import pytest

from lab.home import dashboard
from lab.home.figures import figure
from tests.support import REPO


def test_every_panel_of_the_shipped_dashboard_is_found_rows_included() -> None:
    doc = json.loads((REPO / "config/grafana/dashboards/mlops-lab.json").read_text("utf-8"))
    titles = [p["title"] for p in dashboard.panels(doc)]
    assert "Total predictions" in titles and "Prediction latency distribution" in titles
    assert "CRM segment updates by outcome and segment" in titles
    assert not any(p["type"] == "row" for p in dashboard.panels(doc))


def test_grafanas_variables_get_grafanas_values() -> None:
    expr = "sum(rate(x[$__rate_interval])) + sum(increase(x[$__range])) + y[$__interval]"
    assert dashboard.resolve(expr, 900, 7) == ("sum(rate(x[1m])) + sum(increase(x[900s])) + y[7s]")


@pytest.mark.parametrize(("template", "labels", "name"), [
    ("{{model_version}}", {"model_version": "v2"}, "v2"),
    ("{{segment}} · {{outcome}}", {"segment": "at_risk", "outcome": "ok"}, "at_risk · ok"),
    ("__auto", {"__name__": "m", "le": "0.1"}, "le=0.1"),
    ("", {}, "value"),
])  # fmt: skip
def test_a_series_is_named_by_the_panels_legend(template, labels, name) -> None:
    assert dashboard.legend(template, labels) == name


def test_the_panels_hold_what_prometheus_answered_and_the_queries_sent(
    settings_factory, prometheus
) -> None:
    port, asked = prometheus
    settings = settings_factory(PROMETHEUS_PORT=port)
    data = dashboard.query_panels(settings, now=1_800_000_000)
    assert data["end"] == 1_800_000_000 and data["start"] == 1_800_000_000 - 900
    panels = {p["title"]: p for p in data["panels"]}
    total = panels["Total predictions"]["targets"][0]
    assert (total["path"], total["params"]) in asked
    assert total["series"][0]["y"] == [1.0, None]  # NaN is no value
    shares = panels["Model version share of traffic"]["targets"][0]
    assert shares["path"] == "/api/v1/query" and shares["series"][0]["y"] == [7.0]
    assert "$__" not in json.dumps(data)


def test_a_refused_query_or_no_prometheus_says_why(settings_factory, prometheus, tmp_path):
    port, _ = prometheus
    bad = tmp_path / "config"
    (bad / "grafana/dashboards").mkdir(parents=True)
    (bad / "grafana/dashboards/mlops-lab.json").write_text(json.dumps(
        {"panels": [{"type": "stat", "title": "t", "targets": [{"expr": "bad("}]}]}))  # fmt: skip
    with pytest.raises(dashboard.DashboardUnavailable, match="refused a query"):
        dashboard.query_panels(settings_factory(PROMETHEUS_PORT=port, LAB_CONFIG_DIR=bad))
    with pytest.raises(dashboard.DashboardUnavailable, match="does not answer"):
        dashboard.query_panels(settings_factory(PROMETHEUS_PORT=1))
    with pytest.raises(dashboard.DashboardUnavailable, match="no dashboard file"):
        dashboard.query_panels(settings_factory(LAB_CONFIG_DIR=tmp_path / "none"))


def _panel(kind: str, series: list[dict]) -> dict:
    return {"title": "p", "type": kind, "unit": "s", "targets": [{"series": series}]}


def test_each_panel_type_becomes_its_plotly_trace() -> None:
    one = [{"name": "v1", "labels": {"le": "0.005"}, "t": [0.0, 60.0], "y": [1.0, 3.0]}]
    assert figure(_panel("stat", one))["data"][0] == {
        "type": "indicator",
        "mode": "number",
        "value": 3.0,
        "number": {"valueformat": "~s"},
    }
    lines = figure(_panel("timeseries", one))["data"][0]
    assert lines["type"] == "scatter" and lines["y"] == [1.0, 3.0] and len(lines["x"]) == 2
    pie = figure(_panel("piechart", one))["data"][0]
    assert (pie["type"], pie["labels"], pie["values"]) == ("pie", ["v1"], [3.0])
    two = [*one, {"name": "inf", "labels": {"le": "+Inf"}, "t": [60.0], "y": [5.0]}]
    heat = figure(_panel("heatmap", two))["data"][0]
    assert heat["y"] == ["0.005", "+Inf"] and heat["z"] == [[1.0, 3.0], [None, 5.0]]
