"""The segment-update flow across real processes: `lab crm` and `lab serve` on free ports, a real
model file, real HTTP between them, SQLite on disk."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from lab.crm.seed import synthetic_id
from lab.integration.flow import crm_request_id
from lab.settings import load_settings
from tests.model_files import write_model
from tests.support import LabProcess, free_ports, lab_env, wait_until

#: The CRM_TOKEN `lab_env` gives every lab process (the API keys its CRM writes with it).
CRM_TOKEN = lab_env(Path())["CRM_TOKEN"]

pytestmark = pytest.mark.integration

ROW = [24, 89.5, 5, 3, 30, 1, 2, 1, 12.5, 2]


@dataclass
class Lab:
    home: Path
    env: dict[str, str]
    api: LabProcess
    crm: LabProcess
    api_url: str
    crm_url: str

    def start_crm(self, name: str) -> None:
        self.crm = LabProcess(["crm"], self.env, self.home / f"{name}.log")
        self.crm.wait_healthy(f"{self.crm_url}/health", timeout=120)

    def update(self, customer_id: str, **kwargs) -> httpx.Response:
        return httpx.post(
            f"{self.api_url}/crm_segment_update", params={"customer_id": customer_id},
            timeout=60, **kwargs,
        )  # fmt: skip

    def crm_history_rows(self) -> int:
        return httpx.get(f"{self.crm_url}/health").json()["history_rows"]

    def history_total(self, customer_id: str) -> int:
        return httpx.get(f"{self.crm_url}/customers/{customer_id}/history").json()["total"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    home = tmp_path_factory.mktemp("flow-home")
    api_port, crm_port, mlflow_port = free_ports(3)
    env = lab_env(
        home, API_PORT=api_port, CRM_PORT=crm_port, MLFLOW_PORT=mlflow_port,
        CRM_SEED_CUSTOMERS=200, MODEL_POLL_SECONDS=3600, CRM_RETRIES=2,
    )  # fmt: skip
    write_model(load_settings(env_file=home / "no.env", LAB_HOME=home), "v-flow")
    crm = LabProcess(["crm"], env, home / "crm.log")
    api = LabProcess(["serve"], env, home / "api.log")
    lab = Lab(home, env, api, crm, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{crm_port}")
    try:
        crm.wait_healthy(f"{lab.crm_url}/health", timeout=120)
        api.wait_healthy(f"{lab.api_url}/health", timeout=120)
        yield lab
    finally:
        lab.api.stop()
        lab.crm.stop()


def test_cust_test_007_is_updated_and_the_log_shows_four_steps(lab: Lab) -> None:
    response = lab.update("CUST_TEST_007")
    assert response.status_code == 200, response.text
    answer = response.json()
    record = httpx.get(f"{lab.crm_url}/customers/CUST_TEST_007").json()
    assert record["segment"] == answer["new_segment"]
    assert (record["model_version"], answer["model_version"]) == ("v-flow", "v-flow")
    history = httpx.get(f"{lab.crm_url}/customers/CUST_TEST_007/history").json()["items"]
    assert answer["recorded"] is True
    assert history[0]["request_id"] == crm_request_id(
        answer["request_id"], "CUST_TEST_007", CRM_TOKEN
    )  # the API's own key
    assert history[0]["model_version"] == "v-flow"
    rid = answer["request_id"]
    steps = re.findall(rf"request_id={rid} msg=\"(step \d/4)", lab.api.log())
    assert steps == ["step 1/4", "step 2/4", "step 3/4", "step 4/4"]


def test_1000_concurrent_updates_over_100_customers_lose_nothing(lab: Lab) -> None:
    customers = [synthetic_id(i) for i in range(1, 101)]
    checked = customers[:5] + customers[-5:]
    before = lab.crm_history_rows()
    rows_before = {cid: lab.history_total(cid) for cid in checked}  # other tests write too

    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=lab.api_url, limits=limits, timeout=120) as client:
            return await asyncio.gather(
                *(
                    client.post("/crm_segment_update", params={"customer_id": customers[i % 100]})
                    for i in range(1000)
                )
            )

    responses = asyncio.run(run())
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1000}, [r.text for r in responses if r.status_code != 200][:3]
    answers = [r.json() for r in responses]
    assert len({a["request_id"] for a in answers}) == 1000
    # A history row is written only when the segment or the model version changes, so each
    # answer that says `recorded` has exactly one row and the others none: nothing lost or doubled.
    recorded = Counter(a["customer_id"] for a in answers if a["recorded"])
    assert lab.crm_history_rows() - before == sum(recorded.values())
    assert {cid: lab.history_total(cid) - rows_before[cid] for cid in checked} == {
        cid: recorded[cid] for cid in checked
    }


@pytest.mark.parametrize(
    "hostile",
    ["../x", "%2e%2e", "..%2F..%2Fetc", "x" * 10_000, "CUST' OR '1'='1", "'; --", "ünïcødé"],
)
def test_hostile_ids_are_4xx_and_never_reach_the_crm(lab: Lab, hostile: str) -> None:
    def crm_calls() -> float:
        text = httpx.get(f"{lab.crm_url}/metrics").text
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("crm_requests_total{") and 'path="/health"' not in line
        )

    before = crm_calls()
    response = lab.update(hostile)
    assert 400 <= response.status_code < 500, response.text
    assert crm_calls() == before


def test_lab_segment_all_rescores_every_customer(lab: Lab) -> None:
    customers = httpx.get(f"{lab.crm_url}/health").json()["customers"]

    def segment(*args: str) -> str:
        cli = LabProcess(["segment", *args], lab.env, lab.home / "segment.log")
        try:
            assert cli.proc.wait(300) == 0, cli.log()
        finally:
            cli.stop()
        return cli.log()

    listed = httpx.get(f"{lab.crm_url}/customers", params={"limit": 1000}).json()
    assert listed["total"] == customers
    # A history row is written only when the segment or the model version changes: customers
    # earlier tests already scored with this model get none.
    fresh = sum(1 for c in listed["items"] if not c["segment"] or c["model_version"] != "v-flow")
    assert fresh > 0
    before = lab.crm_history_rows()
    assert "would write" in segment("--all", "--dry-run")
    assert lab.crm_history_rows() == before
    out = segment("--all", "--chunk-size", "64", "--run-id", "batch-1")
    assert f"wrote {customers} of {customers} customers" in out
    assert lab.crm_history_rows() == before + fresh
    page = httpx.get(f"{lab.crm_url}/customers", params={"limit": 1000}).json()
    assert all(c["segment"] and c["model_version"] == "v-flow" for c in page["items"])
    segment("--all", "--run-id", "batch-1")  # the same run again: every write is a replay
    assert lab.crm_history_rows() == before + fresh


def test_crm_stopped_mid_run_gives_503_keeps_predict_and_restart_keeps_data(lab: Lab) -> None:
    answers: list[httpx.Response] = []
    stop = threading.Event()

    def traffic() -> None:
        i, deadline = 0, time.monotonic() + 150
        while not stop.is_set() and time.monotonic() < deadline:
            answers.append(lab.update(synthetic_id(101 + i % 50)))
            i += 1

    worker = threading.Thread(target=traffic)
    worker.start()

    def seen(status: int, count: int) -> bool:
        if not worker.is_alive():
            statuses = Counter(a.status_code for a in answers)
            raise AssertionError(f"the traffic thread ended early: {statuses}")
        return sum(a.status_code == status for a in answers) >= count

    try:
        wait_until(lambda: seen(200, 20), 60, "20 updates answered 200")
        lab.crm.stop()  # mid-run
        wait_until(lambda: seen(503, 5), 60, "5 updates answered 503 with the CRM down")
    finally:
        stop.set()
        worker.join(120)

    assert {a.status_code for a in answers} <= {200, 503}, Counter(a.status_code for a in answers)
    down = lab.update("CUST_TEST_007")
    assert down.status_code == 503
    detail = down.json()["detail"]
    assert lab.crm_url in detail and "lab crm" in detail
    assert httpx.post(f"{lab.api_url}/predict", json={"features": ROW}).status_code == 200

    lab.start_crm("crm-restarted")
    written = [
        crm_request_id(a.json()["request_id"], a.json()["customer_id"], CRM_TOKEN)
        for a in answers
        if a.status_code == 200 and a.json()["recorded"]
    ]
    history_ids = set()
    for i in range(50):
        items = httpx.get(
            f"{lab.crm_url}/customers/{synthetic_id(101 + i)}/history", params={"limit": 1000}
        ).json()["items"]
        history_ids |= {h["request_id"] for h in items}
    assert set(written) <= history_ids  # every confirmed write survived the restart
    record = httpx.get(f"{lab.crm_url}/customers/CUST_TEST_007").json()
    assert record["model_version"] == "v-flow" and record["segment"]
    assert lab.update("CUST_TEST_007").status_code == 200  # the API reconnects by itself
