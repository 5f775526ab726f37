"""`lab serve` against a real MLflow server: the champion, an alias move under load, a corrupt
registry artifact."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from lab import data
from tests.integration.serving.conftest import ADMIN, mlflow_url, serving, set_champion
from tests.support import require_tool, wait_until

pytestmark = pytest.mark.integration
ROW = data.generate_features(1, seed=21)[0].tolist()


def test_serve_loads_the_champion_and_answers_a_curl_style_request(registry_env, train, tmp_path):
    train(registry_env, "v1.2.0-stable")
    with serving(registry_env, tmp_path / "api.log") as (_, url):
        health = httpx.get(f"{url}/health").json()
        assert health["model_loaded"] is True
        assert (health["model_version"], health["source"], health["registry_version"]) == (
            "v1.2.0-stable", "registry", "1",
        )  # fmt: skip
        # what `curl -X POST URL/predict -d '{"features": [...]}'` sends
        answer = httpx.post(
            f"{url}/predict",
            content=b'{"features": %s}' % str(ROW).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["model_version"] == "v1.2.0-stable"
        bad = httpx.post(f"{url}/predict", json={"features": ROW[:3]})
        assert bad.status_code == 422
        assert bad.json()["field"] == "features"
        metrics = httpx.get(f"{url}/metrics").text
    promtool = require_tool("promtool", "apt-get install prometheus")
    check = subprocess.run([promtool, "check", "metrics"], input=metrics, text=True,
                           capture_output=True, timeout=60)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


async def _load_until_moved(url: str, move, min_requests: int, after_move: int) -> dict:
    """16 connections post /predict until `min_requests` are done and `after_move` answers came
    from the new version; the alias moves once 300 answers are in."""
    seen = {"ok": 0, "failed": [], "versions": [], "moved": False, "new": 0}
    deadline = time.monotonic() + 120

    async def worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            if seen["ok"] + len(seen["failed"]) >= min_requests and seen["new"] >= after_move:
                return
            try:
                response = await client.post("/predict", json={"features": ROW})
            except httpx.HTTPError as exc:
                seen["failed"].append(repr(exc))
                continue
            if response.status_code != 200:
                seen["failed"].append(f"{response.status_code} {response.text[:200]}")
                continue
            seen["ok"] += 1
            version = response.json()["registry_version"]
            seen["versions"].append(version)
            seen["new"] += version == "2"
            if seen["ok"] >= 300 and not seen["moved"]:
                seen["moved"] = True
                await move()

    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(16)))
    return seen


def test_moving_the_alias_under_load_fails_no_request(registry_env, train, tmp_path) -> None:
    train(registry_env, "v1.2.0-stable")
    train(registry_env, "v1.3.0", "--no-promote")
    with serving(registry_env, tmp_path / "api.log") as (proc, url):
        assert httpx.get(f"{url}/health").json()["registry_version"] == "1"

        async def move() -> None:
            await asyncio.to_thread(set_champion, registry_env, "2")

        seen = asyncio.run(_load_until_moved(url, move, min_requests=2000, after_move=200))
        health = httpx.get(f"{url}/health").json()
        log = proc.log()
    assert seen["failed"] == []
    assert seen["ok"] >= 2000
    assert {"1", "2"} <= set(seen["versions"])
    assert seen["versions"][-1] == "2"
    assert (health["registry_version"], health["model_version"]) == ("2", "v1.3.0")
    assert "model loaded" in log and "registry_version=2" in log


def _artifact_file(env: dict[str, str], version: str) -> Path:
    where = httpx.get(
        f"{mlflow_url(env)}/api/2.0/mlflow/model-versions/get-download-uri",
        params={"name": env["MODEL_NAME"], "version": version},
    ).json()["artifact_uri"]
    return Path(urlparse(where).path) / "model.skops"


def test_a_corrupt_registry_artifact_is_refused_and_the_old_model_serves(
    registry_env, train, tmp_path
) -> None:
    train(registry_env, "v1.2.0-stable")
    train(registry_env, "v-broken", "--no-promote")
    _artifact_file(registry_env, "2").write_bytes(b"PK\x03\x04 corrupted on disk")
    with serving(registry_env, tmp_path / "api.log") as (proc, url):
        set_champion(registry_env, "2")
        refused = httpx.post(f"{url}/admin/reload", headers=ADMIN, timeout=60)
        assert refused.status_code == 502, refused.text
        answer = httpx.post(f"{url}/predict", json={"features": ROW})
        assert answer.status_code == 200
        assert answer.json()["registry_version"] == "1"
        wait_until(
            lambda: "model_reload_failures_total 2.0" in httpx.get(f"{url}/metrics").text,
            30, "the poll to count its own failed attempt",
        )  # fmt: skip
        health = httpx.get(f"{url}/health").json()
        log = proc.log()
    assert health["registry_version"] == "1"
    # refused before loading: the files are not the ones `lab train` logged (the digest over
    # every file of the logged model, its model_tree_sha256 tag)
    assert "does not match the version's model_tree_sha256 tag" in health["last_reload_error"]
    assert "still serving the previous model" in log
