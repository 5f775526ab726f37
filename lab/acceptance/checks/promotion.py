"""M3.promote: the project's training moves `champion` only when its evaluation earns it.

In a scratch LAB_HOME and a scratch MLflow store (the lab's own stay untouched) the workspace's
training command runs three times:

1. into an empty registry: the new version must become the champion;
2. after the grader raised the champion run's `accuracy` above anything a model can score (1.5):
   the new version is registered, and the champion must stay;
3. after the grader lowered it to 0: the new version must take the champion.

Exercise workspaces only: the lab's own `lab train` re-scores the champion on a fixed
evaluation set instead of reading the run's metric, so the grader's edit does not apply to it.
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

from lab.acceptance.checks._base import CheckContext, CheckError, CheckFailed, Params, short
from lab.acceptance.checks.environment import train_command
from lab.acceptance.checks.kinds import CHECK_KINDS

#: Run in the lab's interpreter (never the project's): the champion's version, every version,
#: and, given a score, that score logged as the champion run's latest `accuracy`.
_REGISTRY = """
import json, sys
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
uri, name, score, step = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
client = MlflowClient(tracking_uri=uri, registry_uri=uri)
try:
    champion = client.get_model_version_by_alias(name, "champion")
except MlflowException:
    champion = None
try:
    versions = sorted(int(v.version) for v in client.search_model_versions(f"name='{name}'"))
except MlflowException:
    versions = []
if champion is not None and score != "-":
    client.log_metric(champion.run_id, "accuracy", float(score), step=step)
print(json.dumps({"champion": int(champion.version) if champion else None, "versions": versions}))
"""


class PromotionParams(Params):
    isolated = True
    default_timeout = 420.0
    workspace_only = "it edits the champion run's logged accuracy, which only the course reads"
    flags: list[str] = Field(default_factory=lambda: ["--n_samples", "300", "--c_param", "0.5"])
    unbeatable: float = 1.5  # an accuracy no model reaches


def _registry(uri: str, name: str, score: float | None, step: int, timeout: float) -> Any:
    argv = [sys.executable, "-I", "-c", _REGISTRY, uri, name, "-" if score is None else str(score)]
    try:
        done = subprocess.run(
            [*argv, str(step)], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise CheckError(f"reading the scratch registry took over {timeout:g} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise CheckError(f"cannot read the scratch registry: {short(last, 140)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@CHECK_KINDS.kind("promotion_gate", PromotionParams)
def promotion_gate(params: PromotionParams, ctx: CheckContext) -> str:
    """Training promotes a new version to champion only when it is at least as accurate."""
    command, source = train_command(ctx)
    if command and Path(command[0]).name in ("python", "python3", "py"):
        command[0] = str(ctx.interpreter())
    name = ctx.settings.MODEL_NAME
    with tempfile.TemporaryDirectory(prefix="lab-check-promote-") as scratch:
        home = Path(scratch)
        uri = (home / "mlruns").as_uri()
        env = {
            **os.environ,
            "LAB_HOME": str(home),
            "MLFLOW_TRACKING_URI": uri,
            "MLFLOW_ALLOW_FILE_STORE": "true",
            "PYTHONUNBUFFERED": "1",
        }
        budget = max(ctx.timeout / 6, 5.0)
        seen: list[str] = []
        for step, (score, label) in enumerate(
            [(None, "v0.0.1-gate"), (params.unbeatable, "v0.0.2-gate"), (0.0, "v0.0.3-gate")]
        ):
            before = _registry(uri, name, score, 10**6 + step, budget)
            run = [*command, *params.flags, "--model_version", label]
            try:
                done = subprocess.run(
                    run, cwd=ctx.project_dir, env=env, capture_output=True, text=True,
                    timeout=budget, check=False,
                )  # fmt: skip
            except FileNotFoundError:
                raise CheckFailed(f"cannot run {command[0]} ({source})") from None
            except subprocess.TimeoutExpired:
                raise CheckError(f"training did not finish within {budget:g} s") from None
            if done.returncode != 0:
                last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
                raise CheckFailed(f"training {label} ({source}) exit {done.returncode}: "
                                  f"{short(last[0], 140)}")  # fmt: skip
            after = _registry(uri, name, None, 0, budget)
            new = max(after["versions"], default=None)
            if new is None or new in before["versions"]:
                raise CheckFailed(f"training {label} registered no new version of {name}")
            seen.append(_judge(step, before["champion"], after["champion"], new, label))
    return "; ".join(seen)


def _judge(step: int, before: int | None, after: int | None, new: int, label: str) -> str:
    """What the champion did after training `label` (version `new`); CheckFailed if wrong."""
    if step == 0 and after != new:
        raise CheckFailed(f"with no champion yet, {label} (version {new}) did not become champion")
    if step == 1 and after != before:
        raise CheckFailed(
            f"{label} (version {new}) took champion from version {before}, whose run's accuracy "
            "is higher: promote only a model at least as accurate as the champion"
        )
    if step == 2 and after != new:
        raise CheckFailed(
            f"{label} (version {new}) is more accurate than the champion (version {before}, "
            "accuracy 0) but did not take champion"
        )
    return f"{label}: champion {'moved to' if after == new else 'stayed at'} version {after}"
