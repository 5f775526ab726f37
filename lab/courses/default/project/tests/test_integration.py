"""Integration test across services: the running API updates the running CRM (`lab up` first)."""

from __future__ import annotations

import httpx
import pytest

from app.config import environment

# BEGIN SOLUTION M6.markers: mark every test of this file `integration` (it needs `lab up`)
# HINT: a module-level `pytestmark = pytest.mark.integration` marks every test of the file.
# HINT zh-TW: 模組層級的 `pytestmark = pytest.mark.integration` 會標記本檔的每個測試。
pytestmark = pytest.mark.integration
# END SOLUTION


def test_the_api_updates_the_crm_record() -> None:
    # BEGIN SOLUTION M6.integration: POST /crm_segment_update to the live API, then read the CRM's record
    # HINT: read the API and CRM addresses from `environment()` (the workspace's .env), call them with `httpx.post`/`httpx.get`, and compare the CRM's `segment` with the API's `new_segment`.
    # HINT zh-TW: 從 `environment()`（工作區的 .env）讀取 API 與 CRM 的位址，用 `httpx.post`/`httpx.get` 呼叫，並比較 CRM 的 `segment` 與 API 的 `new_segment`。
    env = environment()
    api = f"http://{env.get('API_HOST', '127.0.0.1')}:{env.get('API_PORT', '8000')}"
    crm = (
        env.get("CRM_URL")
        or f"http://{env.get('CRM_HOST', '127.0.0.1')}:{env.get('CRM_PORT', '8001')}"
    )
    answer = httpx.post(f"{api}/crm_segment_update", params={"customer_id": "CUST_TEST_007"})
    assert answer.status_code == 200, answer.text
    record = httpx.get(f"{crm}/customers/CUST_TEST_007").json()
    assert record["segment"] == answer.json()["new_segment"]
    # END SOLUTION
