"""The dashboard as code: the committed JSON is what the code generates, and its shape."""

from __future__ import annotations

import json

from click.testing import CliRunner

from lab.cli import main
from lab.observability import dashboard, metric_names
from lab.observability.grafana import DATASOURCE_UID
from tests.support import REPO

COMMITTED = REPO / "config" / "grafana" / "dashboards" / "mlops-lab.json"


def test_committed_json_equals_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == dashboard.render(), "run `lab dashboard`"


def test_build_is_deterministic() -> None:
    assert dashboard.render() == dashboard.render()


def test_dashboard_identity_and_datasource() -> None:
    doc = dashboard.build()
    assert doc["id"] is None
    assert doc["uid"] == "mlops-lab"
    for panel in doc["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": DATASOURCE_UID}
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == DATASOURCE_UID


def test_required_panels_exist() -> None:
    doc = dashboard.build()
    panels = {p["title"]: p for p in doc["panels"] if p["type"] != "row"}
    exprs = dict(dashboard.expressions(doc))
    assert "sum by (model_version)" in exprs["Prediction rate by model version"]
    assert panels["Total predictions"]["type"] == "stat"
    assert "by (outcome, segment)" in exprs["CRM segment updates by outcome and segment"]
    quantiles = [t["expr"] for t in panels["Prediction latency p50 / p95 / p99"]["targets"]]
    assert [q.split(",")[0] for q in quantiles] == [
        "histogram_quantile(0.5",
        "histogram_quantile(0.95",
        "histogram_quantile(0.99",
    ]
    heat = panels["Prediction latency distribution"]
    assert heat["type"] == "heatmap" and heat["targets"][0]["format"] == "heatmap"
    assert "_bucket" in heat["targets"][0]["expr"]
    assert panels["Model version share of traffic"]["type"] == "piechart"
    errors = [t["expr"] for t in panels["Prediction error ratio"]["targets"]]
    assert 'outcome!="ok"' in errors[0] and 'outcome!~"ok|invalid"' in errors[1]
    assert metric_names.MODEL_LOADED in exprs["Model loaded"]


def test_panels_do_not_overlap() -> None:
    cells = set()
    for panel in dashboard.build()["panels"]:
        g = panel["gridPos"]
        assert g["x"] + g["w"] <= 24
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, panel["title"]
                cells.add((x, y))


def test_cli_writes_and_checks(tmp_path) -> None:
    out = tmp_path / "board.json"
    runner = CliRunner()
    assert runner.invoke(main, ["dashboard", "--output", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["uid"] == "mlops-lab"
    assert runner.invoke(main, ["dashboard", "--check", "--output", str(out)]).exit_code == 0
    out.write_text(out.read_text().replace("Total predictions", "Edited by hand"))
    stale = runner.invoke(main, ["dashboard", "--check", "--output", str(out)])
    assert stale.exit_code == 1 and "lab dashboard" in stale.output
