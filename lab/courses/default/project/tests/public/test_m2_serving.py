"""M2's public tests: /health, /predict and its schema, the container file (see tasks/M2.md)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import ROW
from tests.public.conftest import ROOT

pytestmark = pytest.mark.M2
BAD_BODIES: list[Any] = [
    {"features": [1, 2, 3]},
    {"features": "abc"},
    {"features": [None] * 10},
    {"features": [True] * 10},
    {"features": [[1.0] * 10]},
    {"features": [1e300] * 10},
    {"rows": []},
    {"rows": [ROW, [1, 2]]},
    {"features": ROW, "rows": [ROW]},
    {"feature": ROW},
    {},
    [ROW],
]


def test_health_says_the_fixture_model_is_loaded(service) -> None:
    body = service.get("/health").json()
    assert body["model_loaded"] is True, body
    assert body["model_version"] == "fixture-v0"
    assert body["model_source"]


def test_health_says_why_no_model_is_loaded(service, tmp_path) -> None:
    service.app.state.config = type(service.app.state.config)(
        tmp_path / "none", "http://crm.test", "t", service.app.state.config.segments_file,
        fixture_dir=None,
    )  # fmt: skip
    body = service.get("/health").json()
    assert body["model_loaded"] is False and body["reason"], body


def test_predict_answers_one_row(service) -> None:
    response = service.post("/predict", json={"features": ROW})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["prediction"] in (0, 1)
    assert 0.0 <= body["churn_probability"] <= 1.0
    assert body["model_version"] == "fixture-v0"


def test_predict_answers_a_batch(service) -> None:
    response = service.post("/predict", json={"rows": [ROW, ROW]})
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == 2


@pytest.mark.parametrize("body", BAD_BODIES, ids=repr)
def test_predict_rejects_a_malformed_body_with_a_message(service, body) -> None:
    response = service.post("/predict", json=body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.json().get("detail"), "the 4xx says nothing about what is wrong"


def test_predict_rejects_a_body_that_is_not_json(service) -> None:
    response = service.post(
        "/predict", content=b"features=1,2", headers={"content-type": "text/plain"}
    )
    assert 400 <= response.status_code < 500, response.text


def test_the_container_runs_as_an_unprivileged_user() -> None:
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    users = [line.split()[1] for line in lines if re.match(r"^\s*USER\s+\S", line)]
    assert users, "the Dockerfile has no USER line"
    assert users[-1].split(":")[0] not in ("root", "0"), f"the last USER is {users[-1]}"
