"""Hostile JSON at every JSON route of both apps (the API and the CRM): never a 5xx.

The bodies: deep nesting (5,000 `[` was a RecursionError and a 500 in the CRM), large
documents, NaN and Infinity, huge numbers, duplicate keys, bad UTF-8, and arbitrary JSON.
The routes are read from each app, so a route added later is covered without editing this file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from lab.api import create_api
from lab.crm.app import create_app as create_crm
from lab.settings import Settings
from lab.web.json_body import TOO_DEEP
from tests.model_files import write_model

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_PARAM = re.compile(r"\{([^}:]+)(:[^}]*)?\}")


def json_routes(app: Litestar) -> list[tuple[str, str]]:
    """(method, path) of every route that takes a body, path parameters filled in."""
    found = []
    for route in app.routes:
        for method in sorted(set(getattr(route, "methods", ())) & WRITES):
            found.append((method, _PARAM.sub(lambda m: "CUST001", route.path)))
    return sorted(found)


def nested(depth: int, opener: str) -> bytes:
    closer = {"[": "]", '{"a":': "}"}[opener]
    return (opener * depth + "1" + closer * depth).encode()


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=30,
)
hostile = st.one_of(
    # deep nesting, closed or not, of arrays and objects
    st.builds(nested, st.integers(1, 20_000), st.sampled_from(["[", '{"a":'])),
    st.integers(1, 20_000).map(lambda n: b"[" * n),
    # numbers JSON does not have, or that overflow every float
    st.sampled_from(
        [
            b'{"share": NaN}',
            b'{"share": Infinity}',
            b'{"features": [-Infinity]}',
            b'{"probability": 1e999999}',
            b'{"share": 1' + b"0" * 5000 + b"}",
            b'{"features": [' + b",".join([b"9" * 400] * 10) + b"]}",
        ]
    ),
    # duplicate keys (the last one wins in msgspec; never a crash)
    st.sampled_from(
        [
            b'{"share": 0.1, "share": 0.2}',
            b'{"segment": "vip", "segment": [1]}',
            b'{"features": [1,2,3,4,5,6,7,8,9,10], "features": {}}',
        ]
    ),
    # bad UTF-8 and binary
    st.binary(max_size=300).map(lambda b: b'{"segment": "' + b + b'"}'),
    st.binary(max_size=300),
    # big documents (up to ~200 KB: beyond the CRM's 64 KiB limit, within the API's)
    st.integers(1, 40_000).map(lambda n: json.dumps({"features": [0.5] * n}).encode()),
    # anything JSON can say
    json_values.map(lambda v: json.dumps(v).encode()),
)


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[str, TestClient]]]:
    home = tmp_path_factory.mktemp("hostile-json")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        LAB_HOME=home,
        CRM_TOKEN="test-crm-token-0000",
        ADMIN_TOKEN="test-admin-token-0000",
        API_TOKEN="test-api-token-0000",
        CRM_SEED_CUSTOMERS=0,
        MLFLOW_TRACKING_URI="http://127.0.0.1:9",  # nothing listens: the file model serves
        CRM_URL="http://127.0.0.1:9",
        CRM_RETRIES=0,
        MODEL_POLL_SECONDS=3600,
    )
    write_model(settings, "v-hostile")
    with (
        TestClient(create_api(settings)) as api,
        TestClient(create_crm(settings)) as crm,
    ):
        api.headers["Authorization"] = f"Bearer {settings.ADMIN_TOKEN}"
        crm.headers["Authorization"] = f"Bearer {settings.CRM_TOKEN}"
        yield [("api", api), ("crm", crm)]


def test_both_apps_have_json_routes(apps) -> None:
    """The property below covers something: each app's write routes are found."""
    routes = {name: json_routes(client.app) for name, client in apps}
    assert ("POST", "/predict") in routes["api"] and ("POST", "/admin/split") in routes["api"]
    assert ("PUT", "/customers/CUST001/segment") in routes["crm"]


def test_5000_nested_brackets_are_a_400_that_says_why(apps) -> None:
    _, crm = apps[1]
    response = crm.put(
        "/customers/CUST001/segment",
        content=b"[" * 5000,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == TOO_DEEP


@settings(max_examples=150, deadline=None)
@given(body=hostile, data=st.data())
def test_hostile_json_never_gets_a_5xx(apps, body: bytes, data: st.DataObject) -> None:
    name, client = data.draw(st.sampled_from(apps))
    method, path = data.draw(st.sampled_from(json_routes(client.app)))
    response = client.request(
        method, path, content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code < 500, (name, method, path, body[:80], response.text[:300])
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
