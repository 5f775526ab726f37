"""The Grafana criterion against recorded Grafana 11.6 API answers (Grafana cannot run here)."""

from __future__ import annotations

import base64
import copy
import json
import re
import shutil
from pathlib import Path

import httpx
import pytest
import respx

from lab.acceptance.checks import CheckFailed, CheckSkipped, Status
from lab.acceptance.checks.monitoring import GrafanaParams, grafana_dashboard, panel_titles

ANSWERS = Path(__file__).parent / "grafana_answers"
GRAFANA = "http://127.0.0.1:3999"
REPO = Path(__file__).resolve().parents[3]


def answer(name: str) -> dict:
    return json.loads((ANSWERS / name).read_text(encoding="utf-8"))


@pytest.fixture
def grafana_ctx(make_ctx, settings_factory, tmp_path):
    """The lab's own Grafana (the address settings name), so it gets the admin password."""
    target = tmp_path / "config/grafana/dashboards/mlops-lab.json"
    target.parent.mkdir(parents=True)
    shutil.copy(ANSWERS / "dashboard.json", target)
    return make_ctx(grafana_url=GRAFANA, settings=settings_factory(GRAFANA_PORT=3999))


@pytest.fixture
def grafana():
    with respx.mock(base_url=GRAFANA, assert_all_called=False) as mock:
        mock.get("/api/health").respond(200, json=answer("health.json"))
        yield mock


def test_a_provisioned_dashboard_with_every_panel_passes(grafana, grafana_ctx):
    route = grafana.get("/api/dashboards/uid/mlops-lab").respond(
        200, json=answer("dashboard_by_uid.json")
    )
    outcome = grafana_dashboard(GrafanaParams(), grafana_ctx)
    assert outcome.status is Status.PASS
    assert "'mlops-lab' (mlops-lab: model serving): 3 panels" in outcome.observed
    assert outcome.facts == {"grafana": "11.6.0"}
    sent = route.calls.last.request.headers["authorization"]
    user, _, password = base64.b64decode(sent.split()[1]).decode().partition(":")
    assert (user, password) == ("admin", "test-grafana-password")


def test_nested_row_panels_count_and_rows_do_not():
    panels = answer("dashboard_by_uid.json")["dashboard"]["panels"]
    assert list(panel_titles(panels)) == [
        "Prediction rate by model version",
        "Prediction latency p95",
        "CRM segment updates by outcome",
    ]


def test_a_missing_panel_fails_naming_it(grafana, grafana_ctx):
    served = answer("dashboard_by_uid.json")
    served["dashboard"]["panels"][3]["panels"] = []
    grafana.get("/api/dashboards/uid/mlops-lab").respond(200, json=served)
    with pytest.raises(CheckFailed, match="missing: CRM segment updates by outcome"):
        grafana_dashboard(GrafanaParams(), grafana_ctx)


def test_a_dashboard_made_in_the_ui_is_not_the_provisioned_one(grafana, grafana_ctx):
    served = copy.deepcopy(answer("dashboard_by_uid.json"))
    served["meta"]["provisioned"] = False
    del served["meta"]["provisionedExternalId"]
    grafana.get("/api/dashboards/uid/mlops-lab").respond(200, json=served)
    with pytest.raises(CheckFailed, match="not provisioned"):
        grafana_dashboard(GrafanaParams(), grafana_ctx)


@pytest.mark.parametrize(
    ("status", "body", "complaint"),
    [
        (401, "unauthorized.json", "refused user admin with GRAFANA_ADMIN_PASSWORD"),
        (404, "dashboard_not_found.json", "no dashboard uid 'mlops-lab'"),
        (500, "dashboard_not_found.json", "HTTP 500"),
    ],
)
def test_grafana_errors_fail_with_what_to_fix(grafana, grafana_ctx, status, body, complaint):
    grafana.get("/api/dashboards/uid/mlops-lab").respond(status, json=answer(body))
    with pytest.raises(CheckFailed, match=complaint):
        grafana_dashboard(GrafanaParams(), grafana_ctx)


def test_a_failing_database_fails(grafana_ctx):
    with respx.mock(base_url=GRAFANA) as mock:
        mock.get("/api/health").respond(200, json=answer("health_db_failing.json"))
        with pytest.raises(CheckFailed, match="database is not ok"):
            grafana_dashboard(GrafanaParams(), grafana_ctx)


def test_grafana_not_running_is_a_skip_not_a_fail(grafana_ctx):
    with respx.mock(base_url=GRAFANA) as mock:
        mock.get("/api/health").mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(CheckSkipped, match=re.escape(f"Grafana is not running at {GRAFANA}")):
            grafana_dashboard(GrafanaParams(), grafana_ctx)


def test_grafana_hanging_is_a_fail(grafana_ctx):
    with respx.mock(base_url=GRAFANA) as mock:
        mock.get("/api/health").mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(CheckFailed, match="did not answer within 5 s"):
            grafana_dashboard(GrafanaParams(), grafana_ctx)


def test_a_real_closed_port_is_a_skip(make_ctx, tmp_path):
    target = tmp_path / "config/grafana/dashboards/mlops-lab.json"
    target.parent.mkdir(parents=True)
    shutil.copy(ANSWERS / "dashboard.json", target)
    with pytest.raises(CheckSkipped, match="not running"):
        grafana_dashboard(GrafanaParams(), make_ctx())


def test_the_dashboard_file_must_exist_and_carry_a_uid(make_ctx, tmp_path):
    with pytest.raises(CheckFailed, match="no dashboard file"):
        grafana_dashboard(GrafanaParams(), make_ctx(grafana_url=GRAFANA))
    target = tmp_path / "config/grafana/dashboards/mlops-lab.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps({"uid": "../admin", "panels": []}))
    with pytest.raises(CheckFailed, match="no valid `uid`"):
        grafana_dashboard(GrafanaParams(), make_ctx(grafana_url=GRAFANA))


#: Counted by hand in config/grafana/dashboards/mlops-lab.json: 21 panels, 6 of them rows.
SHIPPED_PANELS = 15


def _shipped_as_served(shipped: dict, panels: list[dict]) -> dict:
    return {**answer("dashboard_by_uid.json"), "dashboard": {**shipped, "id": 7, "panels": panels}}


def test_the_shipped_dashboard_is_checked_panel_by_panel(make_ctx, grafana):
    """The lab's own dashboard file against what Grafana serves: a panel deleted in Grafana's UI
    fails, named; the whole dashboard, its last row collapsed as Grafana stores it, passes."""
    shipped = json.loads((REPO / "config/grafana/dashboards/mlops-lab.json").read_text())
    route = grafana.get(f"/api/dashboards/uid/{shipped['uid']}")
    ctx = make_ctx(grafana_url=GRAFANA, project_dir=REPO)

    *kept, deleted = shipped["panels"]
    assert deleted["title"] == "Share of drifted features"
    route.respond(200, json=_shipped_as_served(shipped, kept))
    with pytest.raises(CheckFailed, match="missing: Share of drifted features"):
        grafana_dashboard(GrafanaParams(), ctx)

    last_row = max(i for i, p in enumerate(shipped["panels"]) if p["type"] == "row")
    collapsed = {**shipped["panels"][last_row], "collapsed": True,
                 "panels": shipped["panels"][last_row + 1 :]}  # fmt: skip
    route.respond(200, json=_shipped_as_served(shipped, [*shipped["panels"][:last_row], collapsed]))
    outcome = grafana_dashboard(GrafanaParams(), ctx)
    assert outcome.status is Status.PASS
    assert f"{SHIPPED_PANELS} panels" in outcome.observed
