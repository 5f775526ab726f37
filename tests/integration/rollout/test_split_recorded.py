"""Issue 13, item 5: a challenger trained while the API is down gets its share once it is up.

The split is kept in the registry beside the alias (the registered model's
rollout.challenger_share tag), so the API that starts afterwards serves it.
"""

from __future__ import annotations

import subprocess
import sys
import uuid

import httpx
import pytest

from tests.support import REPO, free_port, lab_env, lab_process

pytestmark = pytest.mark.integration


def lab(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lab", *args], env={**env, "COLUMNS": "200"}, cwd=REPO,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_challenger_trained_before_the_api_starts_gets_its_share(tmp_path, mlflow_server):
    env = lab_env(
        tmp_path / "lab", MLFLOW_PORT=mlflow_server[1]["MLFLOW_PORT"], API_PORT=free_port(),
        MODEL_NAME=f"split-{uuid.uuid4().hex[:8]}", MODEL_POLL_SECONDS=2,
    )  # fmt: skip
    lab(env, "train", "--n-samples", "400", "--model-version", "v1")
    out = lab(env, "train", "--n-samples", "400", "--model-version", "v2", "--alias", "challenger")
    # the API is down: the message says what the registry now keeps
    assert "challenger split 10% recorded in the registry" in out
    assert "rollout.challenger_share=0.1" in out and "did not answer" in out
    api = f"http://127.0.0.1:{env['API_PORT']}"
    with lab_process(["serve"], env, tmp_path / "api.log") as proc:
        proc.wait_healthy(f"{api}/ready", timeout=120)
        health = httpx.get(f"{api}/health", timeout=10).json()
    assert [m["model_version"] for m in health["models"]] == ["v1", "v2"]
    assert [m["integrity"] for m in health["models"]] == ["verified", "verified"]
    split = health["split"]
    assert (split["effective_share"], split["set_by"]) == (0.1, "registry")
