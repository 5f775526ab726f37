"""`lab serve --workers 2`: the split set on one worker reaches the other, a customer gets the
same model from either worker (X-Customer-Id), and the drift gauges of both workers' traffic are
on /metrics whichever worker answers (multiprocess mode)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from lab import data
from lab.settings import load_settings
from tests.integration.serving.conftest import ADMIN, mlflow_url, serving
from tests.model_files import write_model
from tests.support import free_port, lab_env, require_tool, wait_until

pytestmark = pytest.mark.integration


def sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        named = line.startswith((name + "{", name + " "))
        if named and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def _answered_by_worker(folder: Path, version: str) -> dict[str, float]:
    """{worker pid: /predict calls it answered with `version`}, from each worker's own file."""
    counts = {}
    for path in folder.glob("counter_*.db"):
        pid = path.stem.removeprefix("counter_")
        counts[pid] = sum(
            sample.value
            for metric in MultiProcessCollector.merge([str(path)], accumulate=True)
            for sample in metric.samples
            if sample.name == "prediction_requests_total"
            and sample.labels.get("model_version") == version
        )
    return counts


def test_a_customer_gets_the_same_model_from_both_workers(registry_env, train, tmp_path) -> None:
    """The split is sticky by X-Customer-Id on every worker: from the pinned points
    (tests/unit/serving/test_split.py), CUST_0002 (0.087) goes to a 50% challenger v2-chal and
    CUST_0009 (0.905) to the champion, whichever worker process answers."""
    train(registry_env, "v1-champ")
    train(registry_env, "v2-chal", "--no-promote")
    alias = httpx.post(
        f"{mlflow_url(registry_env)}/api/2.0/mlflow/registered-models/alias",
        json={"name": registry_env["MODEL_NAME"], "alias": "challenger", "version": "2"},
        timeout=10,
    )
    assert alias.status_code == 200, alias.text
    env = {**registry_env, "CHALLENGER_SHARE": "0.5"}
    folder = Path(env["LAB_HOME"]) / "run" / f"prometheus-api-{env['API_PORT']}"
    row = data.generate_features(1, seed=23)[0].tolist()
    with serving(env, tmp_path / "api.log", "--workers", "2") as (proc, url):

        def both_models_on_every_worker() -> bool:  # a new connection each call: both workers
            served = {
                tuple(m["model_version"] for m in httpx.get(f"{url}/health").json()["models"])
                for _ in range(8)
            }
            return served == {("v1-champ", "v2-chal")}

        wait_until(both_models_on_every_worker, 60, "both models on every worker", watch=proc)
        for customer, expected in (("CUST_0002", "v2-chal"), ("CUST_0009", "v1-champ")):
            before = _answered_by_worker(folder, expected)
            answers: set[str] = set()

            def both_workers_answered(
                customer=customer, expected=expected, before=before, answers=answers
            ) -> bool:
                answer = httpx.post(
                    f"{url}/predict", json={"features": row}, headers={"X-Customer-Id": customer}
                )
                assert answer.status_code == 200, answer.text
                answers.add(answer.json()["model_version"])
                assert answers == {expected}, (customer, answers)
                now = _answered_by_worker(folder, expected)
                return sum(now[pid] > before.get(pid, 0) for pid in now) == 2

            wait_until(both_workers_answered, 60, f"both workers answering {customer}", interval=0)


def test_split_and_drift_across_two_workers(tmp_path) -> None:
    env = lab_env(
        tmp_path / "home", API_PORT=free_port(), MLFLOW_PORT=free_port(), MODEL_POLL_SECONDS=1,
        DRIFT_WINDOW_ROWS=200, DRIFT_MIN_ROWS=50,
    )  # fmt: skip
    write_model(load_settings(LAB_HOME=env["LAB_HOME"]), "v-mp", with_reference=True)
    X = data.generate_features(400, seed=41)
    shifted = X + 2 * X.std(axis=0)
    with serving(env, tmp_path / "api.log", "--workers", "2") as (_, url):
        set_once = httpx.post(f"{url}/admin/split", json={"share": 0.3}, headers=ADMIN)
        assert set_once.status_code == 200

        def every_worker_has_the_split() -> bool:  # new connections reach both workers
            shares = {
                httpx.get(f"{url}/health").json()["split"]["challenger_share"] for _ in range(8)
            }
            return shares == {0.3}

        wait_until(every_worker_has_the_split, 30, "the split on every worker")
        for start in range(0, len(shifted), 20):  # a new connection per batch: both workers
            rows = shifted[start : start + 20].tolist()
            assert httpx.post(f"{url}/predict", json={"instances": rows}).status_code == 200
        texts: list[str] = []

        def every_scrape_shows_the_drift() -> bool:
            # a worker refreshes its own gauges when scraped or every 5 s: poll, don't sleep
            texts[:] = [httpx.get(f"{url}/metrics").text for _ in range(6)]
            return all(_drift_seen(text) for text in texts)

        wait_until(every_scrape_shows_the_drift, 30, "drift gauges from every worker")
    for text in texts:  # whichever worker answers, the gauges are there
        assert sample(text, "drifted_features_share", model_version="v-mp") == 1
        psi = sample(text, "feature_drift_psi", model_version="v-mp", feature="tenure_months")
        assert psi is not None and psi > 0.25
        assert sample(text, "challenger_traffic_share") == 0.3
    promtool = require_tool("promtool", "apt-get install prometheus")
    check = subprocess.run([promtool, "check", "metrics"], input=texts[0], text=True,
                           capture_output=True, timeout=60)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


# Each call is one short-lived "worker" process: its gauge file stays in the shared folder as a
# live worker's would, so the merged view below is what /metrics shows.
_WORKER = """
import sys
from lab.serving.metrics import ServingMetrics
from lab.serving.model_store import ModelStore
from lab.settings import load_settings
settings = load_settings()
store = ModelStore(settings, ServingMetrics(settings))
for step in sys.argv[1:]:
    store.sync_split() if step == "poll" else store.set_share(float(step))
print(store.split.share)
"""


def test_a_worker_started_after_a_split_change_serves_and_reports_it(tmp_path: Path) -> None:
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = lab_env(tmp_path / "home", PROMETHEUS_MULTIPROC_DIR=shared, CHALLENGER_SHARE=0.0)

    def worker(*steps: str) -> float:
        done = subprocess.run([sys.executable, "-c", _WORKER, *steps], env=env, text=True,
                              capture_output=True, timeout=120, check=True)  # fmt: skip
        return float(done.stdout)

    def merged_share() -> float | None:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(shared))
        return sample(generate_latest(registry).decode(), "challenger_traffic_share")

    assert worker("0.3") == 0.3  # POST /admin/split on worker 1
    assert worker() == 0.3  # worker 2 starts later (or replaces a hung one): before any poll
    assert merged_share() == 0.3  # its start did not put the setting's 0.0 back on /metrics
    assert worker("0.5", "poll", "poll") == 0.5  # a poll finds its own change: nothing to do
    assert worker("poll") == 0.5
    assert merged_share() == 0.5


def _drift_seen(text: str) -> bool:
    psi = sample(text, "feature_drift_psi", model_version="v-mp", feature="tenure_months")
    return sample(text, "drifted_features_share", model_version="v-mp") == 1 and (
        psi is not None and psi > 0.25
    )
