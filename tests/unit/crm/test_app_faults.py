"""The CRM under hostile input and unexpected errors (issue 13, item 6)."""

from __future__ import annotations

import logging

import pytest
from litestar.testing import TestClient

from lab.crm.app import CrmConfigError, create_app
from lab.crm.store import CustomerStore
from lab.settings import SettingsError

BODY = {"segment": "high_risk", "model_version": "v1", "probability": 0.8, "request_id": "r-1"}


@pytest.fixture
def client(settings_factory):
    with TestClient(create_app(settings_factory(CRM_SEED_CUSTOMERS=2))) as c:
        yield c


@pytest.mark.parametrize("token", ["tökén-with-ümlauts-0000", "test-crm-token-000\u00e9", "\u2603"])
def test_a_non_ascii_bearer_token_is_a_401_not_a_500(client, token) -> None:
    header = f"Bearer {token}".encode()  # sent as raw UTF-8 bytes, as a client may
    response = client.put("/customers/CUST001/segment", json=BODY,
                          headers={"Authorization": header})  # fmt: skip
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_an_unexpected_error_is_a_logged_500_problem_without_a_traceback(
    client, monkeypatch, caplog
) -> None:
    def broken(self, customer_id):
        raise RuntimeError("disk on fire\x1b[2J")

    monkeypatch.setattr(CustomerStore, "get", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get("/customers/CUST001")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert "Traceback" not in response.text and "disk on fire" not in response.text
    assert "CRM failed unexpectedly" in problem["detail"]
    assert any(r.exc_info and "/customers/CUST001" in r.getMessage() + str(r.__dict__)
               for r in caplog.records)  # fmt: skip


@pytest.mark.parametrize("token", ["<generated>", "short-token"])
def test_a_placeholder_or_short_token_is_refused_at_start_naming_the_key(
    settings_factory, token
) -> None:
    with pytest.raises((CrmConfigError, SettingsError), match=r"^CRM_TOKEN "):
        create_app(settings_factory(CRM_TOKEN=token))
