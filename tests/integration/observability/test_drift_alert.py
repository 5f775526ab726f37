"""Drift for real: the shared MLflow server, `lab serve` and Prometheus (the lab's own rendered
config and rules, FeatureDrift's `for:` shortened through DRIFT_ALERT_FOR) on free ports.

Normal `lab load` traffic keeps every feature's PSI under 0.25 and the alert quiet; `lab load
--drift` lifts exactly the shifted features over 0.25 and FeatureDrift reaches `firing` in
Prometheus' /api/v1/alerts, naming them; normal traffic again brings it back down.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lab import metric_names as m
from lab.drift import DRIFTED_PSI
from lab.observability import shift
from lab.observability.prometheus import DRIFT_ALERT
from tests.support import REPO, free_ports, lab_env, lab_process, require_tool, wait_until

pytestmark = pytest.mark.integration

VERSION = "v-drift"
#: Batch-heavy traffic with no CRM updates: ~2,200 rows, twice the API's window of 1,000 rows.
LOAD = ("load", "--rate", "50", "--count", "300", "--mix", "predict=30,batch=70",
        "--batch-size", "10")  # fmt: skip


class Lab:
    def __init__(self, home: Path, env: dict[str, str]):
        self.home, self.env = home, env
        self.prometheus = f"http://127.0.0.1:{env['PROMETHEUS_PORT']}"

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "lab", *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def load(self, *extra: str) -> str:
        done = self.run(*LOAD, *extra)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def query(self, expr: str) -> dict[str, float]:
        """{feature or version: value} of an instant query."""
        body = httpx.get(f"{self.prometheus}/api/v1/query", params={"query": expr}).json()
        assert body["status"] == "success", (expr, body)
        return {
            r["metric"].get("feature", r["metric"].get("model_version", "")): float(r["value"][1])
            for r in body["data"]["result"]
        }

    def psi(self) -> dict[str, float]:
        return self.query(f'{m.DRIFT_PSI}{{model_version="{VERSION}"}}')

    def share(self) -> float | None:
        return self.query("lab:drifted_features_share:serving").get(VERSION)

    def drift_alerts(self) -> list[dict]:
        alerts = httpx.get(f"{self.prometheus}/api/v1/alerts").json()["data"]["alerts"]
        return [a for a in alerts if a["labels"]["alertname"] == DRIFT_ALERT]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, mlflow_server) -> Iterator[Lab]:
    require_tool("prometheus", "apt install prometheus")
    home = tmp_path_factory.mktemp("drift")
    api_port, crm_port, prometheus_port = free_ports(3)
    env = lab_env(
        home,
        API_PORT=api_port,
        CRM_PORT=crm_port,  # no CRM runs: `lab load` sends no CRM updates
        PROMETHEUS_PORT=prometheus_port,
        MLFLOW_PORT=mlflow_server[1]["MLFLOW_PORT"],
        MODEL_NAME="drift-model",
        MODEL_POLL_SECONDS=3600,
        DRIFT_ALERT_FOR="10s",  # rendered into the FeatureDrift rule by `lab prometheus`
    )
    lab = Lab(home, env)
    trained = lab.run("train", "--n-samples", "2000", "--model-version", VERSION)
    assert trained.returncode == 0, trained.stdout + trained.stderr
    with (
        lab_process(["serve"], env, home / "api.log") as api,
        lab_process(["prometheus", "--no-scrape-mlflow"], env, home / "prometheus.log") as prom,
    ):
        api.wait_healthy(f"http://127.0.0.1:{env['API_PORT']}/ready", timeout=120)
        prom.wait_healthy(f"{lab.prometheus}/-/ready", timeout=60)
        yield lab


def test_normal_traffic_keeps_drift_low(lab: Lab) -> None:
    lab.load()
    wait_until(lambda: len(lab.psi()) == 10, 90, "feature_drift_psi of all ten features")
    wait_until(lambda: lab.share() is not None, 60, "the recorded drifted-features share")
    psi = lab.psi()
    assert max(psi.values()) < DRIFTED_PSI, psi
    assert lab.share() == 0.0
    assert lab.drift_alerts() == []  # neither pending nor firing


def test_drifted_traffic_fires_the_alert_and_normal_traffic_ends_it(lab: Lab) -> None:
    output = lab.load("--drift")
    assert "Drifted inputs: monthly_spend +120" in output

    def drifted() -> set[str]:
        return {f for f, value in lab.psi().items() if value > DRIFTED_PSI}

    wait_until(lambda: drifted() == set(shift.SHIFTS), 90, "PSI > 0.25 for the shifted features")
    psi = lab.psi()
    assert all(psi[f] < DRIFTED_PSI for f in psi if f not in shift.SHIFTS), psi
    wait_until(lambda: lab.share() == 0.5, 60, "half of the features drifted, recorded")

    def firing() -> bool:
        return any(a["state"] == "firing" for a in lab.drift_alerts())

    wait_until(firing, 120, "FeatureDrift firing in /api/v1/alerts", interval=1)
    (alert,) = lab.drift_alerts()
    assert alert["labels"]["model_version"] == VERSION
    assert alert["labels"]["severity"] == "warning"
    assert float(alert["value"]) == 0.5
    description = alert["annotations"]["description"]
    assert description.startswith(f"50% of the input features of {VERSION} have a PSI above")
    for feature in shift.SHIFTS:
        assert feature in description

    lab.load()  # normal traffic again: the window fills with undrifted rows
    wait_until(lambda: lab.share() == 0.0, 90, "the drifted share back to 0")
    wait_until(lambda: lab.drift_alerts() == [], 60, "FeatureDrift resolved", interval=1)
