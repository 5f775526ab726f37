"""`lab crm` as a real process: seeded once, writes over real HTTP, data kept across restarts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support import free_port, lab_env, lab_process

pytestmark = pytest.mark.integration

AUTH = {"Authorization": "Bearer test-crm-token-0000"}


def test_crm_serves_persists_and_keeps_data_across_restarts(lab_home: Path) -> None:
    port = free_port()
    env = lab_env(lab_home, CRM_PORT=port, CRM_SEED_CUSTOMERS=200)
    url = f"http://127.0.0.1:{port}"
    body = {"segment": "high_risk", "model_version": "v9", "probability": 0.9, "request_id": "r-1"}

    with lab_process(["crm"], env, lab_home / "crm1.log") as crm:
        crm.wait_healthy(f"{url}/health")
        assert httpx.get(f"{url}/health").json()["customers"] == 204
        put = httpx.put(f"{url}/customers/CUST_TEST_007/segment", json=body, headers=AUTH)
        assert put.status_code == 200, put.text
        assert httpx.get(f"{url}/schema/openapi.json").status_code == 200
        assert "crm_segment_writes_total" in httpx.get(f"{url}/metrics").text
        # Concurrent writes with one request_id, on a customer of their own (CUST001, no
        # segment yet) so each applied write changes the segment and earns a history row.
        race = _concurrent_puts(
            url, "CUST001", {**body, "request_id": "r-race"}, {**body, "request_id": "r-race"}
        )
        assert sorted(r.json()["replayed"] for r in race) == [False, True], [r.text for r in race]
        clash = _concurrent_puts(url, "CUST001",
                                 {**body, "request_id": "r-clash", "segment": "medium_risk"},
                                 {**body, "request_id": "r-clash", "segment": "loyal"})  # fmt: skip
        assert sorted(r.status_code for r in clash) == [200, 409], [r.text for r in clash]
        history = httpx.get(f"{url}/customers/CUST001/history", params={"limit": 1000})
        ids = [h["request_id"] for h in history.json()["items"]]
        assert (ids.count("r-race"), ids.count("r-clash")) == (1, 1)
    assert "request_id=r-1 segment CUST_TEST_007: None -> high_risk" in crm.log()
    assert (lab_home / "crm" / "crm.db").is_file()

    env2 = lab_env(lab_home, CRM_PORT=port, CRM_SEED_CUSTOMERS=5)  # not reseeded
    with lab_process(["crm"], env2, lab_home / "crm2.log") as crm2:
        crm2.wait_healthy(f"{url}/health")
        assert httpx.get(f"{url}/health").json() == {
            "status": "ok", "customers": 204, "history_rows": 3,
        }  # fmt: skip
        record = httpx.get(f"{url}/customers/CUST_TEST_007").json()
        assert (record["segment"], record["model_version"]) == ("high_risk", "v9")
        replay = httpx.put(f"{url}/customers/CUST_TEST_007/segment", json=body, headers=AUTH)
        assert replay.json()["replayed"] is True


def test_crm_without_token_exits_with_a_clear_message(lab_home: Path) -> None:
    env = lab_env(lab_home, CRM_PORT=free_port(), CRM_TOKEN="")
    with lab_process(["crm"], env, lab_home / "crm.log") as crm:
        assert crm.proc.wait(60) == 1
    assert "CRM_TOKEN is empty" in crm.log() and "Traceback" not in crm.log()


def test_crm_on_a_taken_port_says_which_and_how_to_fix(lab_home: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = lab_env(lab_home, CRM_PORT=port)
        with lab_process(["crm"], env, lab_home / "crm.log") as crm:
            assert crm.proc.wait(60) == 1
    assert f"127.0.0.1:{port} is taken" in crm.log() and "CRM_PORT" in crm.log()
    assert not (lab_home / "crm" / "crm.db").exists()  # nothing created


def _concurrent_puts(url: str, customer: str, *bodies: dict) -> list[httpx.Response]:
    """The bodies PUT to the customer's segment at the same moment, one thread each."""
    barrier = threading.Barrier(len(bodies))

    def put(body: dict) -> httpx.Response:
        barrier.wait(10)
        return httpx.put(f"{url}/customers/{customer}/segment", json=body, headers=AUTH)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(put, bodies))
