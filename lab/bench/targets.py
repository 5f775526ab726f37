"""The servers a benchmark run starts (each a real child process on a free port) and their bodies.

Every target serves the same registered model (trained into a temporary LAB_HOME) except the
framework ceiling, which answers without doing anything.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import msgspec

from lab import data, procs

MODEL_NAME = "churn-model"
MODEL_LABEL = "v1.2.0-stable"
BATCH_ROWS = 10_000
_ENCODE = msgspec.json.encode


def lab_env(home: Path, **values: object) -> dict[str, str]:
    """The environment of the run's lab processes: its own LAB_HOME, ports and tokens."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PROMETHEUS_"))}
    env.update(
        LAB_HOME=str(home),
        LAB_ENV_FILE=str(home / "no.env"),
        ADMIN_TOKEN=os.urandom(16).hex(),
        CRM_TOKEN=os.urandom(16).hex(),
        LAB_SIGNING_KEY=os.urandom(16).hex(),
        GRAFANA_ADMIN_PASSWORD=os.urandom(16).hex(),
        LOG_LEVEL="WARNING",
        MODEL_NAME=MODEL_NAME,
        GIT_PYTHON_REFRESH="quiet",
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in values.items()})
    return env


#: a target's process (lab.procs.Child: name, proc, log)
Process = procs.Child


class StartError(RuntimeError):
    pass


@contextlib.contextmanager
def started(
    name: str, args: list[str], env: Mapping[str, str], logs: Path, ready_url: str, timeout: float
) -> Iterator[Process]:
    """Start `python <args>`, wait until `ready_url` answers 2xx from it, stop its tree on exit."""
    child = procs.spawn_group(
        name, [sys.executable, *args], cwd=None, env=env, log=logs / f"{name}.log"
    )  # fmt: skip
    try:
        answer = procs.wait_http(ready_url, timeout, child)
        if not answer.ok:
            raise StartError(answer.why)
        yield child
    finally:
        procs.stop_tree(child, grace=15.0)


def train(env: Mapping[str, str], logs: Path) -> None:
    """`lab train` into the run's MLflow server: registers version 1 as the champion."""
    with (logs / "train.log").open("wb") as log:
        code = subprocess.call(
            [sys.executable, "-m", "lab", "train", "--model-version", MODEL_LABEL],
            env=dict(env), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    if code != 0:
        raise StartError("lab train failed:\n" + (logs / "train.log").read_text()[-2000:])


# ---- request bodies ---------------------------------------------------------------------
def _rows(n: int) -> list[list[float]]:
    return data.generate_features(n, seed=11).tolist()


def lab_single() -> bytes:
    return _ENCODE({"features": _rows(1)[0]})


def lab_batch() -> bytes:
    return _ENCODE({"instances": _rows(BATCH_ROWS)})


def mlflow_body(n: int) -> bytes:
    """`mlflow models serve` reads a pandas `dataframe_split` with the signature's columns."""
    return _ENCODE({"dataframe_split": {"columns": list(data.FEATURE_NAMES), "data": _rows(n)}})
