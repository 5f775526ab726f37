"""Registry state another MLflow client writes changes nothing the API serves (issue 29, item 2).

Anyone who can reach the MLflow server can register a version (copying the digest and even the
signature tag of a real one), move `@champion`, or set the split tag. The lab signs what it
writes with LAB_SIGNING_KEY; the API refuses what is not signed and `/health` says why.
"""

from __future__ import annotations

import httpx
import pytest
from mlflow import MlflowClient

from lab import data
from lab.training.mlflow_registry import SPLIT_TAG
from tests.integration.serving.conftest import ADMIN, mlflow_url, serving

pytestmark = pytest.mark.integration
ROW = data.generate_features(1, seed=5)[0].tolist()


def test_a_forged_champion_and_split_change_nothing_served(registry_env, train, tmp_path):
    name = registry_env["MODEL_NAME"]
    train(registry_env, "v-signed")
    # registry_uri too: without it mlflow takes the registry URI any earlier test in this
    # process left in its globals (e.g. a SQLite file), and version 1 is "not found" there
    client = MlflowClient(
        tracking_uri=mlflow_url(registry_env), registry_uri=mlflow_url(registry_env)
    )
    with serving(registry_env, tmp_path / "api.log") as (_, url):
        first = httpx.get(f"{url}/health").json()
        assert (first["model_version"], first["source"]) == ("v-signed", "registry"), first

        # another client registers the same files as version 2, copying every tag of version 1
        # (the digest matches the files; the signature is version 1's), and moves @champion
        real = client.get_model_version(name, "1")
        forged = client.create_model_version(
            name, source=real.source, run_id=real.run_id, tags=dict(real.tags),
            model_id=real.source.removeprefix("models:/"),
        )  # fmt: skip
        client.set_registered_model_alias(name, "champion", forged.version)
        reload = httpx.post(f"{url}/admin/reload", headers=ADMIN, timeout=60).json()
        health = httpx.get(f"{url}/health").json()
        answer = httpx.post(f"{url}/predict", json={"features": ROW}).json()
        assert reload["outcome"] == "failed", reload
        assert (health["model_version"], health["registry_version"]) == ("v-signed", "1")
        assert answer["model_version"] == "v-signed"
        assert f"version {forged.version}" in health["last_reload_error"]
        assert "does not match" in health["last_reload_error"]

        # ... and sets the split by hand, bypassing ADMIN_TOKEN on /admin/split
        client.set_registered_model_tag(name, SPLIT_TAG, "1")
        httpx.post(f"{url}/admin/reload", headers=ADMIN, timeout=60)
        split = httpx.get(f"{url}/health").json()["split"]
        assert (split["challenger_share"], split["set_by"]) == (0.0, "setting")
        assert "not signed by the lab" in split["refused"]

        # the lab's own way still works: /admin/split records a signed share the API follows
        recorded = httpx.post(
            f"{url}/admin/split", json={"share": 0.2}, headers=ADMIN, timeout=30
        ).json()
        assert "recorded in the registry" in recorded["recorded"]
        assert client.get_registered_model(name).tags[SPLIT_TAG].startswith("0.2 hmac-sha256=")
        httpx.post(f"{url}/admin/reload", headers=ADMIN, timeout=60)
        split = httpx.get(f"{url}/health").json()["split"]
        assert split["challenger_share"] == 0.2 and split["refused"] is None
