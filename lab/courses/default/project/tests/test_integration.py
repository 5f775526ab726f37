"""Integration test across services: the running API updates the running CRM (`lab up` first)."""

from __future__ import annotations

import httpx
import pytest

from app.config import environment

# BEGIN SOLUTION M6.markers: mark every test of this file `integration` (it needs `lab up`)
pytestmark = pytest.mark.integration
# END SOLUTION


def test_the_api_updates_the_crm_record() -> None:
    # BEGIN SOLUTION M6.integration: POST /crm_segment_update to the live API, then read the CRM's record
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
