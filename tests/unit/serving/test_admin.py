"""POST /admin/reload: the bearer token, a changed file, a corrupt file that is refused."""

from __future__ import annotations

from litestar.testing import TestClient

from lab import data
from lab.serving.app import create_app
from tests.model_files import write_model
from tests.unit.serving.conftest import ADMIN, metric_value

ROW = data.generate_features(1, seed=4)[0].tolist()


def test_reload_needs_the_admin_token(client) -> None:
    missing = client.post("/admin/reload")
    wrong = client.post("/admin/reload", headers={"Authorization": "Bearer nope"})
    basic = client.post("/admin/reload", headers={"Authorization": "Basic dGVzdA=="})
    for response in (missing, wrong, basic):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"].startswith("application/problem+json")
    assert "ADMIN_TOKEN" in missing.json()["detail"]


def test_reload_is_off_without_an_admin_token(offline) -> None:
    settings = offline(ADMIN_TOKEN="")
    write_model(settings)
    with TestClient(create_app(settings)) as client:
        response = client.post("/admin/reload", headers={"Authorization": "Bearer "})
    assert response.status_code == 403
    assert "lab init" in response.json()["detail"]


def test_unchanged_then_a_new_file_is_swapped_in(client, settings) -> None:
    same = client.post("/admin/reload", headers=ADMIN)
    assert same.status_code == 200
    assert same.json()["outcome"] == "unchanged"
    write_model(settings, "v-next")
    changed = client.post("/admin/reload", headers=ADMIN)
    assert changed.json()["outcome"] == "reloaded"
    assert changed.json()["model_version"] == "v-next"
    assert client.post("/predict", json={"features": ROW}).json()["model_version"] == "v-next"
    metrics = client.get("/metrics").text
    assert metric_value(metrics, "model_loaded", model_version="v-next", source="file") == 1
    assert metric_value(metrics, "model_loaded", model_version="v-unit", source="file") == 0


def test_a_corrupt_file_is_refused_and_the_old_model_keeps_serving(client, settings) -> None:
    before = client.post("/predict", json={"features": ROW}).json()
    path = settings.skops_model_path  # the file the lab loads (the .joblib is the course's)
    path.write_bytes(path.read_bytes()[:-10] + b"tampered!!")
    refused = client.post("/admin/reload", params={"force": "true"}, headers=ADMIN)
    assert refused.status_code == 502
    problem = refused.json()
    assert "SHA-256" in problem["detail"]
    assert (problem["outcome"], problem["model_version"]) == ("failed", "v-unit")
    after = client.post("/predict", json={"features": ROW})
    assert after.status_code == 200
    assert after.json() == before
    health = client.get("/health").json()
    assert health["model_version"] == "v-unit"
    assert "SHA-256" in health["last_reload_error"]
    assert metric_value(client.get("/metrics").text, "model_reload_failures_total") == 1


def test_a_malformed_query_parameter_is_a_400_problem(client) -> None:
    response = client.post("/admin/reload", params={"force": "maybe"}, headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["errors"][0]["key"] == "force"
