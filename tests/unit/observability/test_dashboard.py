"""The dashboard as code: the committed JSON is what the code generates, and its shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from lab import metric_names
from lab.cli import main
from lab.drift import DRIFTED_PSI
from lab.observability import dashboard
from lab.observability.grafana import DATASOURCE_UID
from tests.support import REPO, require_tool

COMMITTED = REPO / "config" / "grafana" / "dashboards" / "mlops-lab.json"


def test_committed_json_equals_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == dashboard.render(), "run `lab dashboard`"


#: What the build gives, fixed here: a build that varied (a set's order, a time, a counter)
#: could still equal itself within one process.
FIXED = {
    "uid": "mlops-lab",
    "title": "mlops-lab: model serving",
    "refresh": "5s",
    "time": {"from": "now-15m", "to": "now"},
}
FIRST_PANELS = [
    (1, "row", "Traffic", {"x": 0, "y": 0, "w": 24, "h": 1}),
    (2, "timeseries", "Prediction rate by model version", {"x": 0, "y": 1, "w": 12, "h": 8}),
    (3, "stat", "Total predictions", {"x": 12, "y": 1, "w": 6, "h": 8}),
    (4, "stat", "Model loaded", {"x": 18, "y": 1, "w": 6, "h": 8}),
]
_RENDER = (  # bytes: no newline translation on Windows
    "import sys; from lab.observability import dashboard; "
    "sys.stdout.buffer.write(dashboard.render().encode('utf-8'))"
)


def test_build_gives_the_fixed_values() -> None:
    doc = dashboard.build()
    assert {key: doc[key] for key in FIXED} == FIXED
    panels = [(p["id"], p["type"], p["title"], p["gridPos"]) for p in doc["panels"]]
    assert panels[: len(FIRST_PANELS)] == FIRST_PANELS
    assert [p[0] for p in panels] == list(range(1, len(panels) + 1))


@pytest.mark.parametrize("hash_seed", ["1", "2"])
def test_another_interpreter_renders_the_committed_file(hash_seed: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _RENDER],
        capture_output=True, timeout=120, check=True,
        env={**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert done.stdout.decode("utf-8") == COMMITTED.read_text(encoding="utf-8")


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


def test_versions_and_drift_rows() -> None:
    doc = dashboard.build()
    rows = [p["title"] for p in doc["panels"] if p["type"] == "row"]
    assert rows[-2:] == ["Model versions", "Input drift"]
    panels = {p["title"]: p for p in doc["panels"] if p["type"] != "row"}
    share = panels["Model version share of traffic (1m)"]
    assert share["targets"][0]["expr"].startswith(
        f"sum by (model_version) (rate({metric_names.PREDICTIONS}[1m])) / "
    )
    assert share["fieldConfig"]["defaults"]["custom"]["stacking"]["mode"] == "normal"
    assert share["fieldConfig"]["defaults"]["unit"] == "percentunit"
    for title, metric, line in (
        ("Feature drift (PSI) by feature", metric_names.DRIFT_PSI, DRIFTED_PSI),
        ("Share of drifted features", metric_names.DRIFTED_SHARE, metric_names.DRIFT_ALERT_SHARE),
    ):
        panel = panels[title]
        expr = panel["targets"][0]["expr"]
        assert metric in expr and "model_loaded" in expr  # only the versions served now
        defaults = panel["fieldConfig"]["defaults"]
        assert defaults["custom"]["thresholdsStyle"]["mode"] == "line"
        assert [s["value"] for s in defaults["thresholds"]["steps"]] == [None, line]
    assert "{{feature}}" in panels["Feature drift (PSI) by feature"]["targets"][0]["legendFormat"]
    churn = panels["Predicted churn rate by model version"]["targets"][0]["expr"]
    assert metric_names.PREDICTED_CHURN in churn and metric_names.PREDICTED_ROWS in churn


def test_every_query_is_valid_promql(tmp_path) -> None:
    """promtool parses each panel's PromQL (as a recording rule, Grafana's variables filled)."""
    tool = require_tool("promtool", "apt install prometheus (it ships promtool)")
    variables = {"$__rate_interval": "1m", "$__range": "10m"}
    rules = []
    for number, (_, expr) in enumerate(dashboard.expressions(dashboard.build())):
        for name, value in variables.items():
            expr = expr.replace(name, value)
        rules.append({"record": f"panel_query_{number}", "expr": expr})
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    done = subprocess.run([tool, "check", "rules", path], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
