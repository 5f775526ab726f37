"""The monitoring stack for real: CRM, API and Prometheus (the lab's own rendered config) on
free ports, with the shared MLflow server (scraped too), traffic from `lab load`, then every
PromQL expression of every dashboard panel and every rule answered with data; `promtool check`
on the rendered config and on both /metrics.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from lab import metric_names
from lab.observability import dashboard
from tests.support import REPO, free_ports, lab_env, lab_process, require_tool, wait_until

pytestmark = pytest.mark.integration

DASHBOARD = REPO / "config" / "grafana" / "dashboards" / "mlops-lab.json"
RULES = REPO / "config" / "prometheus" / "rules.yml"
#: Low-rate traffic for the stack's lifetime: 2 requests a second, at most 15 minutes.
TRICKLE = ("--rate", "2", "--count", "1800", "--duration", "900")
#: What Grafana puts in place of its variables when it sends a panel's query.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "10m", "$__interval": "5s"}


def grafana_expr(expr: str) -> str:
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def dashboard_queries() -> list[tuple[str, str]]:
    doc = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [(title, grafana_expr(expr)) for title, expr in dashboard.expressions(doc)]


def rule_queries() -> list[tuple[str, str]]:
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [
        (rule["record"], " ".join(rule["expr"].split()))
        for group in doc["groups"]
        for rule in group["rules"]
        if "record" in rule
    ]


class Stack:
    def __init__(self, home: Path, env: dict[str, str]):
        self.home, self.env = home, env
        self.api = f"http://127.0.0.1:{env['API_PORT']}"
        self.crm = f"http://127.0.0.1:{env['CRM_PORT']}"
        self.prometheus = f"http://127.0.0.1:{env['PROMETHEUS_PORT']}"

    def query(self, expr: str) -> list[dict]:
        answer = httpx.get(f"{self.prometheus}/api/v1/query", params={"query": expr}, timeout=10)
        body = answer.json()
        assert answer.status_code == 200 and body["status"] == "success", (expr, body)
        return body["data"]["result"]

    def scraped(self) -> bool:
        return {r["metric"]["job"] for r in self.query("up == 1")} >= {"api", "crm"}

    def has_data(self, expr: str) -> bool:
        return any(_finite(sample) for sample in self.query(expr))


def _finite(sample: dict) -> bool:
    value = sample.get("value", [None, "NaN"])[1]
    return value not in ("NaN", "+Inf", "-Inf")


def _lab(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lab", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, mlflow_server) -> Iterator[Stack]:
    require_tool("prometheus", "apt install prometheus")
    home = tmp_path_factory.mktemp("monitoring")
    keys = ("API_PORT", "CRM_PORT", "PROMETHEUS_PORT")
    ports = dict(zip(keys, free_ports(len(keys)), strict=True))
    env = lab_env(
        home,
        CRM_SEED_CUSTOMERS=20,
        MODEL_POLL_SECONDS=3600,
        MODEL_NAME="monitoring-model",
        MLFLOW_PORT=mlflow_server[1]["MLFLOW_PORT"],  # the shared real server, scraped too
        **ports,
    )
    # Registered through the real MLflow server; the API loads the champion from it.
    trained = _lab(env, "train", "--n-samples", "400", "--model-version", "v-int")
    assert trained.returncode == 0, trained.stdout + trained.stderr
    with (
        lab_process(["crm"], env, home / "crm.log") as crm,
        lab_process(["serve"], env, home / "api.log") as api,
        lab_process(["prometheus"], env, home / "prometheus.log") as prom,
    ):
        s = Stack(home, env)
        crm.wait_healthy(f"{s.crm}/health", timeout=90)
        api.wait_healthy(f"{s.api}/ready", timeout=120)
        prom.wait_healthy(f"{s.prometheus}/-/ready", timeout=60)
        # The load lasts 6 s: started before the first scrape, it could end before it too, and
        # every rate() would stay 0 (every quantile and ratio NaN). Poll, don't sleep.
        wait_until(s.scraped, 60, "Prometheus's first scrape of the api and the crm", watch=prom)
        load = _lab(env, "load", "--rate", "40", "--count", "240")
        s.load_output = load.stdout + load.stderr
        s.load_code = load.returncode
        # Then a trickle for the stack's lifetime, so no 1-minute window goes empty (NaN) on a
        # slow machine while ~35 tests read them; bounded, should the teardown never come.
        with lab_process(["load", *TRICKLE], env, home / "trickle.log"):
            yield s


def test_load_gets_only_expected_answers(stack: Stack) -> None:
    assert stack.load_code == 0, stack.load_output
    assert "240 requests" in stack.load_output


def test_prometheus_scrapes_api_crm_and_mlflow(stack: Stack) -> None:
    wait_until(stack.scraped, 60, "api and crm targets up")
    wait_until(
        lambda: stack.has_data(f"sum by (model_version) ({metric_names.PREDICTIONS})"),
        60,
        "prediction_requests_total by model_version",
    )
    by_version = stack.query(f"sum by (model_version) ({metric_names.PREDICTIONS})")
    assert {r["metric"]["model_version"] for r in by_version} == {"v-int"}
    wait_until(lambda: stack.query('up{job="mlflow"} == 1'), 60, "the MLflow target up")
    wait_until(lambda: stack.query("count(mlflow_http_request_total)"), 60, "MLflow's metrics")
    wait_until(lambda: stack.has_data(metric_names.CRM_UPDATES), 60, "crm_segment_updates_total")


def test_every_metric_name_the_dashboard_uses_exists(stack: Stack) -> None:
    names = [
        metric_names.PREDICTIONS,
        metric_names.LATENCY + "_bucket",
        metric_names.MODEL_LOADED,
        metric_names.RELOAD_FAILURES,
        metric_names.API_HTTP_REQUESTS,
        metric_names.CRM_UPDATES,
        metric_names.CRM_CALL + "_bucket",
        metric_names.DRIFT_PSI,
        metric_names.DRIFTED_SHARE,
        metric_names.PREDICTED_ROWS,
        metric_names.PREDICTED_CHURN,
    ]
    for name in names:
        wait_until(lambda n=name: stack.query(f"count({n})"), 60, f"series of {name}")


@pytest.mark.parametrize(
    ("title", "expr"), dashboard_queries(), ids=[f"{t}:{e[:40]}" for t, e in dashboard_queries()]
)
def test_dashboard_query_returns_data(stack: Stack, title: str, expr: str) -> None:
    wait_until(lambda: stack.has_data(expr), 90, f"data for {title!r}: {expr}")


@pytest.mark.parametrize(("record", "expr"), rule_queries(), ids=[r for r, _ in rule_queries()])
def test_recording_rule_returns_data(stack: Stack, record: str, expr: str) -> None:
    wait_until(lambda: stack.has_data(expr), 90, f"data for {record}: {expr}")
    wait_until(lambda: stack.has_data(record), 90, f"the recorded series {record}")


def test_one_version_has_all_the_traffic_and_no_drift(stack: Stack) -> None:
    wait_until(lambda: stack.has_data("lab:prediction_traffic_share:rate1m"), 90, "traffic share")
    (share,) = stack.query("lab:prediction_traffic_share:rate1m")
    assert share["metric"]["model_version"] == "v-int" and float(share["value"][1]) == 1.0
    wait_until(lambda: stack.has_data("lab:drifted_features_share:serving"), 90, "drift share")
    (drifted,) = stack.query("lab:drifted_features_share:serving")
    assert float(drifted["value"][1]) < metric_names.DRIFT_ALERT_SHARE  # lab load: no drift


def test_rules_are_loaded_and_healthy(stack: Stack) -> None:
    groups = httpx.get(f"{stack.prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) == sum(len(g["rules"]) for g in yaml.safe_load(RULES.read_text())["groups"])
    wait_until(
        lambda: all(
            r.get("health") == "ok"
            for g in httpx.get(f"{stack.prometheus}/api/v1/rules").json()["data"]["groups"]
            for r in g["rules"]
        ),
        60,
        "every rule evaluated without error",
    )
    firing = {
        a["labels"]["alertname"]
        for a in httpx.get(f"{stack.prometheus}/api/v1/alerts").json()["data"]["alerts"]
    }
    assert "ModelNotLoaded" not in firing


def test_promtool_checks_the_rendered_config(stack: Stack) -> None:
    promtool = require_tool("promtool", "apt install prometheus")
    config = stack.home / "prometheus" / "prometheus.yml"
    done = subprocess.run([promtool, "check", "config", config], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("service", ["api", "crm"])
def test_promtool_checks_the_metrics_text(stack: Stack, service: str) -> None:
    promtool = require_tool("promtool", "apt install prometheus")
    text = httpx.get(f"{getattr(stack, service)}/metrics", timeout=10).text
    done = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
