"""Champion and challenger together: real MLflow model folders, the registry's REST answers
played by respx (aliases moved, tags set, faults injected without a server)."""

from __future__ import annotations

import math

import pytest
from litestar.testing import TestClient

from lab import data
from lab.api import create_api
from lab.serving.app import create_app
from tests.unit.serving.conftest import ADMIN, metric_value
from tests.unit.serving.test_registry_models import FakeRegistry, saved_model

ROW = data.generate_features(1, seed=4)[0].tolist()
ROWS = data.generate_features(5, seed=5).tolist()


@pytest.fixture
def registry(settings):
    import respx

    with respx.mock(base_url=settings.tracking_uri, assert_all_called=False) as mock:
        yield FakeRegistry(mock, settings)


@pytest.fixture
def two(registry, tmp_path):
    """Version 1 is the champion, version 2 the challenger (a different model)."""
    registry.add("1", saved_model(tmp_path / "v1", 1.0)[0])
    registry.add("2", saved_model(tmp_path / "v2", 0.01)[0])
    registry.champion, registry.challenger = "1", "2"
    return registry


def versions(client: TestClient, n: int, headers: dict | None = None) -> list[str]:
    return [
        client.post("/predict", json={"features": ROW}, headers=headers or {}).json()[
            "model_version"
        ]
        for _ in range(n)
    ]


def test_health_lists_both_models_and_the_split(two, settings) -> None:
    with TestClient(create_app(settings)) as client:
        client.post("/admin/split", json={"share": 0.1}, headers=ADMIN)
        health = client.get("/health").json()
        metrics = client.get("/metrics").text
    assert health["model_version"] == "label-1"  # the top level describes the champion
    assert [(m["alias"], m["model_version"], m["registry_version"]) for m in health["models"]] == [
        ("champion", "label-1", "1"), ("challenger", "label-2", "2"),
    ]  # fmt: skip
    assert health["split"]["effective_share"] == 0.1
    assert health["challenger"] == "challenger is version 2 (label-2)"
    loaded = {"registry_version": "2", "alias": "challenger", "model_version": "label-2"}
    assert metric_value(metrics, "model_loaded", **loaded) == 1
    assert metric_value(metrics, "model_loaded", alias="champion", model_version="label-1") == 1


def test_the_share_of_answers_follows_the_split_and_every_metric_names_the_version(two, settings):
    n, share = 1_000, 0.3
    with TestClient(create_app(settings)) as client:
        client.post("/admin/split", json={"share": share}, headers=ADMIN)
        answered = versions(client, n)
        batch = client.post("/predict", json={"instances": ROWS}).json()
        metrics = client.get("/metrics").text
    hits = answered.count("label-2")
    assert abs(hits - n * share) <= 5 * math.sqrt(n * share * (1 - share))
    for version in ("label-1", "label-2"):
        in_batch = batch["model_version"] == version
        calls = answered.count(version) + in_batch
        churn = sum(batch["predictions"]) if in_batch else 0
        for name in ("prediction_requests_total", "prediction_latency_seconds_count"):
            assert metric_value(metrics, name, model_version=version) == calls
        rows = metric_value(metrics, "prediction_rows_total", model_version=version)
        assert rows == answered.count(version) + in_batch * len(ROWS)
        churn_rows = metric_value(metrics, "prediction_churn_rows_total", model_version=version)
        # the single row is the same for every call: each version scores it 0 or 1 every time
        assert churn_rows - churn in (0, answered.count(version))


def test_a_customer_id_sticks_to_one_model(two, settings) -> None:
    with TestClient(create_app(settings)) as client:
        client.post("/admin/split", json={"share": 0.5}, headers=ADMIN)
        per_customer = {
            c: set(versions(client, 8, {"X-Customer-Id": c})) for c in (f"C{i}" for i in range(24))
        }
        bad = client.post("/predict", json={"features": ROW}, headers={"X-Customer-Id": "a b"})
    assert all(len(seen) == 1 for seen in per_customer.values())
    assert set().union(*per_customer.values()) == {"label-1", "label-2"}
    assert bad.status_code == 422
    assert bad.json()["field"] == "X-Customer-Id"


def test_a_broken_challenger_never_disturbs_the_champion(registry, settings, tmp_path) -> None:
    registry.add("1", saved_model(tmp_path / "v1", 1.0)[0])
    broken, _ = saved_model(tmp_path / "v2", 0.5)
    (broken / "model.skops").write_bytes(b"PK\x03\x04 not a skops archive")
    registry.add("2", broken)
    registry.champion = "1"
    with TestClient(create_app(settings)) as client:
        client.post("/admin/split", json={"share": 1.0}, headers=ADMIN)
        registry.challenger = "2"
        refused = client.post("/admin/reload", headers=ADMIN)
        answered = versions(client, 20)
        health = client.get("/health").json()
        failures = metric_value(client.get("/metrics").text, "model_reload_failures_total")
    assert refused.status_code == 502
    assert refused.json()["challenger_outcome"] == "failed"
    assert "champion serves on" in refused.json()["detail"]
    assert set(answered) == {"label-1"}  # the whole share went back to the champion
    assert [m["alias"] for m in health["models"]] == ["champion"]
    assert "version 2 does not load" in health["challenger_error"]
    assert health["split"]["effective_share"] == 0.0
    assert failures == 1


def test_promotion_reuses_the_loaded_challenger_and_removal_empties_the_slot(two, settings):
    with TestClient(create_app(settings)) as client:
        client.post("/admin/split", json={"share": 0.5}, headers=ADMIN)
        downloads = two.uri_calls()
        two.champion, two.challenger = "2", None  # `lab rollout promote`
        promoted = client.post("/admin/reload", headers=ADMIN).json()
        answered = versions(client, 20)
        health = client.get("/health").json()
        metrics = client.get("/metrics").text
        assert two.uri_calls() == downloads  # no download: the challenger's model moved over
    assert (promoted["outcome"], promoted["model_version"]) == ("reloaded", "label-2")
    assert promoted["challenger_outcome"] == "removed"
    assert set(answered) == {"label-2"}
    assert [(m["alias"], m["model_version"]) for m in health["models"]] == [("champion", "label-2")]
    assert metric_value(metrics, "model_loaded", alias="champion", model_version="label-2") == 1
    assert metric_value(metrics, "model_loaded", alias="challenger", model_version="label-2") == 0
    assert metric_value(metrics, "model_loaded", alias="champion", model_version="label-1") == 0


def test_a_challenger_with_the_champions_label_is_refused(two, settings) -> None:
    two.tags["2"] = {"version_label": "label-1"}
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()
    assert len(health["models"]) == 1
    assert "carries the champion's label" in health["challenger_error"]


def test_the_alias_on_the_champions_version_is_no_split(two, settings) -> None:
    two.challenger = "1"
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()
    assert len(health["models"]) == 1
    assert "no split" in health["challenger"]
    assert health["challenger_error"] is None


# ---- integrity: the model_tree_sha256 tag --------------------------------------------------
def test_a_download_that_does_not_match_its_digest_tag_is_refused(two, settings) -> None:
    two.tags["2"] = {"model_tree_sha256": "0" * 64}
    with TestClient(create_app(settings, extensions=())) as client:
        health = client.get("/health").json()
    assert health["models"][0]["integrity"] == "verified"
    assert len(health["models"]) == 1
    error = health["challenger_error"]
    assert "does not match the version's model_tree_sha256 tag 000000000000" in error
    assert "refused" in error


def test_a_version_without_the_digest_is_refused_and_health_says_why(
    registry, settings, tmp_path
) -> None:
    registry.add("1", saved_model(tmp_path / "v1", 1.0)[0], tagged=False)
    registry.champion = "1"
    with TestClient(create_app(settings, extensions=())) as client:
        health = client.get("/health").json()
    assert (health["source"], health["model_version"]) == ("file", "v-unit")  # the fallback
    assert "has no model_tree_sha256 tag" in health["last_reload_error"]
    assert "ALLOW_UNVERIFIED_MODELS" in health["last_reload_error"]


def test_allow_unverified_models_loads_it_marked_unverified(registry, settings, tmp_path):
    registry.add("1", saved_model(tmp_path / "v1", 1.0)[0], tagged=False)
    registry.champion = "1"
    settings = settings.model_copy(update={"ALLOW_UNVERIFIED_MODELS": True})
    with TestClient(create_app(settings, extensions=())) as client:
        health = client.get("/health").json()
    assert [m["integrity"] for m in health["models"]] == ["unverified"]


def test_a_tampered_champion_is_refused_and_the_file_serves(registry, settings, tmp_path):
    from tests.model_files import write_model

    folder, _ = saved_model(tmp_path / "v1", 1.0)
    registry.add("1", folder)
    registry.champion = "1"
    other, _ = saved_model(tmp_path / "other", 0.3)
    (folder / "model.skops").write_bytes((other / "model.skops").read_bytes())  # swapped
    write_model(settings, "v-file")
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()
    assert (health["source"], health["model_version"]) == ("file", "v-file")
    assert "does not match" in health["last_reload_error"]


def test_the_challenger_is_kept_while_the_registry_is_away_and_dropped_with_its_alias(
    two, settings
):
    import httpx

    with TestClient(create_app(settings)) as client:
        two.fault = httpx.Response(400, json={"error_code": "INVALID_PARAMETER_VALUE"})
        kept = client.post("/admin/reload", headers=ADMIN).json()
        served_while_away = [m["alias"] for m in client.get("/health").json()["models"]]
        two.fault, two.challenger = None, None  # `lab rollout abort` deleted the alias
        dropped = client.post("/admin/reload", headers=ADMIN).json()
        health = client.get("/health").json()
    assert served_while_away == ["champion", "challenger"]
    assert kept["challenger_outcome"] == "unchanged"
    assert (dropped["challenger_outcome"], dropped["challenger_version"]) == ("removed", None)
    assert [m["alias"] for m in health["models"]] == ["champion"]
    assert "no challenger alias" in health["challenger"]


def test_crm_segment_updates_are_split_sticky_per_customer(settings_factory, tmp_path) -> None:
    import json

    import httpx
    import respx

    crm = "http://127.0.0.1:18001"
    settings = settings_factory(
        CRM_URL=crm, CRM_RETRIES=0, MODEL_POLL_SECONDS=3600, CHALLENGER_SHARE=0.5
    )
    features = dict(zip(data.FEATURE_NAMES, map(float, ROW), strict=True))

    def read(request: httpx.Request) -> httpx.Response:
        customer = request.url.path.split("/")[2]
        return httpx.Response(200, json={"customer_id": customer, "features": features})

    def write(request: httpx.Request) -> httpx.Response:
        extra = {"customer_id": request.url.path.split("/")[2], "old_segment": None,
                 "updated_at": "t"}  # fmt: skip
        return httpx.Response(200, json=json.loads(request.content) | extra)

    # one router for every httpx client (the CRM's has its own transport): registry and CRM
    with respx.mock(using="httpx", assert_all_called=False) as m:
        m.route(host="testserver.local").pass_through()
        m.get(url__regex=rf"^{crm}/customers/[^/]+/features$").mock(side_effect=read)
        m.put(url__regex=rf"^{crm}/customers/[^/]+/segment$").mock(side_effect=write)
        registry = FakeRegistry(m, settings)
        registry.add("1", saved_model(tmp_path / "v1", 1.0)[0])
        registry.add("2", saved_model(tmp_path / "v2", 0.01)[0])
        registry.champion, registry.challenger = "1", "2"
        with TestClient(create_api(settings)) as client:
            seen = {
                c: {
                    client.post("/crm_segment_update", params={"customer_id": c}).json()[
                        "model_version"
                    ]
                    for _ in range(3)
                }
                for c in (f"CUST_{i:04d}" for i in range(16))
            }
    assert all(len(versions) == 1 for versions in seen.values())  # sticky per customer
    assert set().union(*seen.values()) == {"label-1", "label-2"}  # and split


# ---- the split lives in the registry ---------------------------------------------------------
def test_a_split_recorded_before_the_api_started_is_served(two, settings) -> None:
    two.split = two.signed_split(
        "0.1"
    )  # `lab train --alias challenger` recorded it while the API was down
    with TestClient(create_app(settings)) as client:
        split = client.get("/health").json()["split"]
    assert (split["challenger_share"], split["effective_share"], split["set_by"]) == (
        0.1, 0.1, "registry",
    )  # fmt: skip


def test_admin_split_records_the_share_in_the_registry(two, settings) -> None:
    with TestClient(create_app(settings)) as client:
        answer = client.post("/admin/split", json={"share": 0.25}, headers=ADMIN).json()
        reloaded = client.post("/admin/reload", headers=ADMIN)  # reads the registry again
        split = client.get("/health").json()["split"]
    assert (
        two.split == two.signed_split("0.25") and "recorded in the registry" in answer["recorded"]
    )
    assert reloaded.status_code == 200 and split["challenger_share"] == 0.25
    with TestClient(create_app(settings)) as restarted:  # a restart keeps it
        assert restarted.get("/health").json()["split"]["effective_share"] == 0.25


def test_a_label_that_breaks_the_crm_rule_is_refused_at_load_with_the_reason(
    registry, settings, tmp_path
) -> None:
    """Served, it made every /crm_segment_update a 500 (the CRM refuses such a model_version)."""
    registry.add("1", saved_model(tmp_path / "v1", 1.0)[0])
    registry.tags["1"] = {"version_label": "v1 (new!)"}
    registry.champion = "1"
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()
    assert (health["source"], health["model_version"]) == ("file", "v-unit")
    assert "version label 'v1 (new!)'" in health["last_reload_error"]
    assert "breaks the CRM's rule" in health["last_reload_error"]


# ---- registry state another MLflow client wrote is not served --------------------------------
def test_an_unsigned_champion_changes_nothing_served_and_health_says_why(
    two, settings, tmp_path
) -> None:
    """Another MLflow client registers version 3 (the digest tag copied right) and moves
    @champion to it: the API keeps serving version 1 and says why."""
    folder = saved_model(tmp_path / "v3", 0.2)[0]
    two.add("3", folder, signed=False)
    with TestClient(create_app(settings)) as client:
        two.champion = "3"
        reload = client.post("/admin/reload", headers=ADMIN)
        health = client.get("/health").json()
        answered = versions(client, 5)
    assert reload.json()["outcome"] == "failed"
    assert (health["model_version"], health["registry_version"]) == ("label-1", "1")
    assert "version 3 is not signed by the lab" in health["last_reload_error"]
    assert set(answered) <= {"label-1", "label-2"}


def test_an_unsigned_split_tag_changes_nothing_served_and_health_says_why(two, settings) -> None:
    """Setting rollout.challenger_share by hand (bypassing ADMIN_TOKEN) is ignored."""
    two.split = two.signed_split("0.1")
    with TestClient(create_app(settings)) as client:
        two.split = "1"  # another MLflow client: everything to the challenger
        client.post("/admin/reload", headers=ADMIN)
        split = client.get("/health").json()["split"]
        forged_signature = two.signed_split("0.1").replace("0.1 ", "0.9 ")
        two.split = forged_signature
        client.post("/admin/reload", headers=ADMIN)
        again = client.get("/health").json()["split"]
    assert (split["effective_share"], split["set_by"]) == (0.1, "registry")
    assert "not signed by the lab" in split["refused"]
    assert again["effective_share"] == 0.1 and "does not match" in again["refused"]
