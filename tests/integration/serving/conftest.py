"""`lab serve` as a real process on a free port, in a temporary LAB_HOME."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support import LabProcess, free_port, lab_env, lab_process, wait_until

ADMIN = {"Authorization": "Bearer test-admin-token"}


@contextmanager
def serving(env: dict[str, str], log: Path, *extra: str) -> Iterator[tuple[LabProcess, str]]:
    """`lab serve` with `env`; yields the process and its base URL once /health answers and
    every worker has started (the first one up answers /health; uvicorn starts them in parallel)."""
    url = f"http://127.0.0.1:{env['API_PORT']}"
    workers = int(extra[extra.index("--workers") + 1]) if "--workers" in extra else 1
    with lab_process(["serve", *extra], env, log) as proc:
        proc.wait_healthy(f"{url}/health", timeout=90)
        started = "Application startup complete."
        wait_until(
            lambda: proc.log().count(started) >= workers, 90, "every worker started", watch=proc
        )
        yield proc, url


@pytest.fixture
def offline_env(tmp_path: Path) -> dict[str, str]:
    """A lab whose MLflow does not answer (nothing listens on its port)."""
    return lab_env(
        tmp_path / "home", API_PORT=free_port(), MLFLOW_PORT=free_port(), MODEL_POLL_SECONDS=1
    )


@pytest.fixture
def registry_env(mlflow_server, tmp_path: Path) -> dict[str, str]:
    """A lab on the shared MLflow server, with a model name of its own."""
    _, server_env = mlflow_server
    return lab_env(
        tmp_path / "home",
        MLFLOW_PORT=server_env["MLFLOW_PORT"],
        MODEL_NAME=f"serve-{uuid.uuid4().hex[:8]}",
        API_PORT=free_port(),
        MODEL_POLL_SECONDS=1,
    )


@pytest.fixture
def train(tmp_path: Path) -> Callable[..., None]:
    def run(env: dict[str, str], label: str, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "lab", "train", "--n-samples", "600",
             "--model-version", label, *args],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr

    return run


def mlflow_url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['MLFLOW_PORT']}"


def set_champion(env: dict[str, str], version: str) -> None:
    response = httpx.post(
        f"{mlflow_url(env)}/api/2.0/mlflow/registered-models/alias",
        json={"name": env["MODEL_NAME"], "alias": "champion", "version": version},
        timeout=10,
    )
    response.raise_for_status()
