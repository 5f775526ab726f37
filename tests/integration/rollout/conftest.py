"""A real rollout stack: the shared MLflow server, `lab serve` and `lab prometheus` (the lab's own
rendered config) on free ports, thresholds from a test rollout.yml (LAB_CONFIG_DIR)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lab import data
from tests.support import REPO, Deadline, free_ports, lab_env, lab_process, require_tool, wait_until

#: Short windows for a short test. The worse challenger predicts no churn at all (a 45-point
#: gap); the good one differs from the champion by sampling noise only, so the churn limit is
#: set where that noise cannot reach it with 60 calls (3.5 standard deviations), and the latency
#: slack where 2 shared cores cannot (a p95 over ~60 calls is their 3rd slowest).
ROLLOUT_YML = """\
window: 1m
min_requests: 60
max_error_ratio_delta: 0.01
max_p95_latency_ratio: 1.5
min_p95_latency_slack_seconds: 0.025
max_churn_rate_delta: 0.25
"""
ROWS = data.generate_features(2_000, seed=31).tolist()
#: pytest's 300 s timeout covers the module's setup and its first test together: the setup's
#: chained waits share SETUP_SECONDS and each test's share TEST_SECONDS (140 + 150 < 300).
SETUP_SECONDS = 140
TEST_SECONDS = 150


class Stack:
    def __init__(self, env: dict[str, str]):
        self.env = env
        self.api = f"http://127.0.0.1:{env['API_PORT']}"
        self.prometheus = f"http://127.0.0.1:{env['PROMETHEUS_PORT']}"

    def lab(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "lab", *args], env={**self.env, "COLUMNS": "200"}, cwd=REPO,
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    def train(self, label: str, *args: str, timeout: float = 120) -> str:
        done = self.lab(
            "train", "--n-samples", "600", "--model-version", label, *args, timeout=timeout
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def health(self) -> dict:
        return httpx.get(f"{self.api}/health", timeout=10).json()

    def query(self, expr: str) -> dict[str, float]:
        """An instant PromQL query, as {model_version: value}."""
        answer = httpx.get(f"{self.prometheus}/api/v1/query", params={"query": expr}, timeout=10)
        body = answer.json()
        assert body["status"] == "success", (expr, body)
        return {
            r["metric"].get("model_version", ""): float(r["value"][1])
            for r in body["data"]["result"]
        }

    def scraped_total(self) -> float:
        return sum(self.query("sum by (model_version) (prediction_requests_total)").values())


class Traffic:
    """/predict calls without a customer id (the split draws at random), paced, in a thread;
    every answer is recorded, so a single failed request shows."""

    def __init__(self, url: str, rate: float = 50.0):
        self.url, self.interval = url, 1.0 / rate
        self.statuses: Counter[str] = Counter()
        self.versions: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            i, deadline = 0, time.monotonic() + TEST_SECONDS  # no test runs traffic longer
            while not self._stop.is_set() and time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    answer = client.post("/predict", json={"features": ROWS[i % len(ROWS)]})
                    self.statuses[str(answer.status_code)] += 1
                    if answer.status_code == 200:
                        self.versions.append(answer.json()["model_version"])
                except httpx.HTTPError as exc:
                    self.statuses[type(exc).__name__] += 1
                i += 1
                self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(15)

    def until(self, count: int, timeout: float = 120) -> None:
        wait_until(lambda: self.sent >= count, timeout, f"{count} requests sent")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, mlflow_server) -> Iterator[Stack]:
    require_tool("prometheus", "apt install prometheus")
    home = tmp_path_factory.mktemp("rollout")
    config = home / "config"
    shutil.copytree(REPO / "config", config)
    (config / "rollout.yml").write_text(ROLLOUT_YML, encoding="utf-8")
    keys = ("API_PORT", "CRM_PORT", "PROMETHEUS_PORT")
    env = lab_env(
        home / "lab",
        LAB_CONFIG_DIR=config,
        MLFLOW_PORT=mlflow_server[1]["MLFLOW_PORT"],
        MODEL_NAME=f"rollout-{uuid.uuid4().hex[:8]}",
        MODEL_POLL_SECONDS=1,
        **dict(zip(keys, free_ports(len(keys)), strict=True)),
    )
    budget = Deadline(SETUP_SECONDS)
    s = Stack(env)
    s.train("v1-champion", timeout=budget.left())
    with (
        lab_process(["serve"], env, home / "api.log") as api,
        lab_process(["prometheus"], env, home / "prometheus.log") as prometheus,
    ):
        api.wait_healthy(f"{s.api}/ready", timeout=budget.left(120))
        prometheus.wait_healthy(f"{s.prometheus}/-/ready", timeout=budget.left(60))
        wait_until(
            lambda: s.query('up{job="api"} == 1'), budget.left(60), "Prometheus scraping the API",
            watch=prometheus,
        )  # fmt: skip
        s.logs = (api, prometheus)
        yield s


def log_tail(path: Path, n: int = 3000) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-n:]
