"""/predict under hypothesis: never a 5xx; valid rows give a class and a probability; a batch
answers exactly what its rows answer one by one."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from lab import data
from lab.serving.app import create_app
from lab.serving.parsing import MAX_ABS_VALUE
from lab.settings import load_settings
from tests.model_files import write_model
from tests.support import free_port

FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("lab-home")
    s = load_settings(
        env_file=home / "no.env", LAB_HOME=home, MLFLOW_PORT=free_port(),
        MODEL_POLL_SECONDS=3600, ADMIN_TOKEN="test-admin-token", PREDICT_MAX_ROWS=50,
    )  # fmt: skip
    write_model(s, "v-prop")
    with TestClient(create_app(s)) as c:
        yield c


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=12) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=40,
)
number = st.floats(-MAX_ABS_VALUE, MAX_ABS_VALUE, allow_nan=False) | st.integers(-1000, 1000)
row = st.lists(number, min_size=data.N_FEATURES, max_size=data.N_FEATURES)
near_valid = st.dictionaries(
    st.sampled_from(["features", "instances", "customer", "feature", "rows"]),
    st.lists(number, max_size=12)
    | st.lists(st.lists(number, max_size=12), max_size=4)
    | st.dictionaries(st.sampled_from([*data.FEATURE_NAMES, "age"]), number, max_size=11)
    | json_values,
    max_size=3,
)


@FAST
@given(body=json_values | near_valid)
def test_any_json_body_gets_an_answer_that_is_not_a_server_error(client, body) -> None:
    response = client.post("/predict", content=json.dumps(body).encode())
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        problem = response.json()
        assert problem["detail"] and problem["status"] == response.status_code


@FAST
@given(body=st.binary(max_size=300))
def test_any_bytes_get_an_answer_that_is_not_a_server_error(client, body) -> None:
    assert client.post("/predict", content=body).status_code < 500


@FAST
@given(features=row)
def test_valid_rows_give_a_class_and_a_probability(client, features) -> None:
    response = client.post("/predict", json={"features": features})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["prediction"] in (0, 1)
    assert 0.0 <= body["probability"] <= 1.0
    assert body["prediction"] == int(body["probability"] > 0.5)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(rows=st.lists(row, min_size=1, max_size=20))
def test_a_batch_answers_what_each_row_answers(client, rows) -> None:
    batch = client.post("/predict", json={"instances": rows}).json()
    singles = [client.post("/predict", json={"features": r}).json() for r in rows]
    assert batch["rows"] == len(rows)
    assert batch["probabilities"] == pytest.approx([s["probability"] for s in singles], abs=1e-12)
    assert batch["predictions"] == [s["prediction"] for s in singles]
