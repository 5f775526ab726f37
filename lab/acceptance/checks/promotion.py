"""M3.promote: the project's training moves `champion` only when its evaluation earns it.

In a scratch LAB_HOME and a scratch MLflow store (the lab's own stay untouched):

1. the grader registers a champion whose run's `accuracy` is 0, then the workspace's training
   runs: the new version must take `champion`;
2. the grader raises that champion run's `accuracy` above anything a model can score (1.5),
   and the training runs again: the new version is registered, and the champion must stay.

(That the first model of an empty registry becomes champion is M3.registry's part.) Exercise
workspaces only: the lab's own `lab train` re-scores the champion on a fixed evaluation set
instead of reading the run's metric, so the grader's edit does not apply to it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import Field

from lab.acceptance.checks._base import (
    CheckContext,
    CheckError,
    CheckFailed,
    Lane,
    Params,
    Schedule,
    short,
)
from lab.acceptance.checks._learner import run_project
from lab.acceptance.checks._priority import run_low
from lab.acceptance.checks.environment import train_command
from lab.acceptance.checks.kinds import CHECK_KINDS

#: Run in the lab's interpreter (never the project's): `seed` registers a champion with a run
#: scoring 0, a number logs that score as the champion run's latest `accuracy`, `-` only reads;
#: it prints the champion's version and every version as they were before any score was logged.
_REGISTRY = """
import json, sys
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
uri, name, action = sys.argv[1], sys.argv[2], sys.argv[3]
client = MlflowClient(tracking_uri=uri, registry_uri=uri)
if action == "seed":
    run = client.create_run(client.create_experiment("grader-seed"))
    client.log_metric(run.info.run_id, "accuracy", 0.0)
    client.set_terminated(run.info.run_id)
    client.create_registered_model(name)
    seeded = client.create_model_version(name, run.info.artifact_uri, run.info.run_id)
    client.set_registered_model_alias(name, "champion", seeded.version)
try:
    champion = client.get_model_version_by_alias(name, "champion")
except MlflowException:
    champion = None
if champion is not None and action not in ("seed", "-"):
    client.log_metric(champion.run_id, "accuracy", float(action), step=10**6)
versions = sorted(int(v.version) for v in client.search_model_versions(f"name='{name}'"))
print(json.dumps({"champion": int(champion.version) if champion else None, "versions": versions}))
"""


class PromotionParams(Params):
    schedule = Schedule(
        Lane.ISOLATED,
        timeout=600.0,
        workspace_only="it edits the champion run's logged accuracy, which only the course reads",
    )
    flags: list[str] = Field(default_factory=lambda: ["--n_samples", "300", "--c_param", "0.5"])
    unbeatable: float = 1.5  # an accuracy no model reaches


def _registry(uri: str, name: str, action: str, timeout: float) -> Any:
    argv = [sys.executable, "-I", "-c", _REGISTRY, uri, name, action]
    try:
        done = run_low(argv, timeout=timeout, env={**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"})
    except subprocess.TimeoutExpired:
        raise CheckError(f"the scratch registry did not answer within {timeout:g} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise CheckError(f"cannot use the scratch registry: {short(last, 140)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@CHECK_KINDS.kind("promotion_gate", PromotionParams)
def promotion_gate(params: PromotionParams, ctx: CheckContext) -> str:
    """Training moves champion only to a version at least as accurate as the champion's run."""
    command, source = train_command(ctx)
    if command and Path(command[0]).name in ("python", "python3", "py"):
        command[0] = str(ctx.interpreter())
    name = ctx.settings.MODEL_NAME
    with tempfile.TemporaryDirectory(prefix="lab-check-promote-") as scratch:
        home = Path(scratch)
        uri = (home / "mlruns").as_uri()
        env = {  # added to the environment (in `lab grade`: the sandbox's allow-list)
            "LAB_HOME": str(home),
            "MLFLOW_TRACKING_URI": uri,
            "MLFLOW_ALLOW_FILE_STORE": "true",
            "PYTHONUNBUFFERED": "1",
        }
        budget = max(ctx.timeout / 3, 5.0)
        before = _registry(uri, name, "seed", budget)
        seen = []
        for step, label in enumerate(("v0.0.1-gate", "v0.0.2-gate")):
            _train([*command, *params.flags, "--model_version", label], source, ctx, env, budget,
                   home)  # fmt: skip
            # after the first training: read, then make the champion unbeatable for the second
            after = _registry(uri, name, str(params.unbeatable) if step == 0 else "-", budget)
            new = max(after["versions"], default=None)
            if new is None or new in before["versions"]:
                raise CheckFailed(f"training {label} registered no new version of {name}")
            seen.append(_judge(step, before["champion"], after["champion"], new, label))
            before = after
    return "; ".join(seen)


def _train(
    run: list[str], source: str, ctx: CheckContext, env: dict[str, str], budget: float,
    home: Path,
) -> None:  # fmt: skip
    """The project's training command (in `lab grade`: in the learner's sandbox), at a low CPU
    priority: the live checks beside it keep their share of the CPU."""
    try:
        done = run_project(ctx, run, env=env, writable=[home], timeout=budget, low=True)
    except FileNotFoundError:
        raise CheckFailed(f"cannot run {run[0]} ({source})") from None
    except subprocess.TimeoutExpired:
        raise CheckError(f"training did not finish within {budget:g} s") from None
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise CheckFailed(f"training ({source}) exit {done.returncode}: {short(last[0], 140)}")


def _judge(step: int, before: int | None, after: int | None, new: int, label: str) -> str:
    """What the champion did after training `label` (version `new`); CheckFailed if wrong."""
    if step == 0 and after != new:
        raise CheckFailed(
            f"{label} (version {new}) is more accurate than the champion (version {before}, "
            "accuracy 0) but did not take champion"
        )
    if step == 1 and after != before:
        raise CheckFailed(
            f"{label} (version {new}) took champion from version {before}, whose run's accuracy "
            "is higher: promote only a model at least as accurate as the champion"
        )
    return f"{label}: champion {'moved to' if after == new else 'stayed at'} version {after}"
