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

import subprocess
import tempfile
from pathlib import Path

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
from lab.acceptance.checks._scratch_registry import ScratchRegistry
from lab.acceptance.checks.environment import train_command
from lab.acceptance.checks.kinds import CHECK_KINDS


class PromotionParams(Params):
    schedule = Schedule(
        Lane.ISOLATED,
        timeout=600.0,
        workspace_only="it edits the champion run's logged accuracy, which only the course reads",
    )
    flags: list[str] = Field(default_factory=lambda: ["--n_samples", "300", "--c_param", "0.5"])
    unbeatable: float = 1.5  # an accuracy no model reaches


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
        with ScratchRegistry(uri, name, home) as registry:
            before = registry.ask("seed", budget)
            seen = []
            for step, label in enumerate(("v0.0.1-gate", "v0.0.2-gate")):
                _train([*command, *params.flags, "--model_version", label], source, ctx, env,
                       budget, home)  # fmt: skip
                # after the first training: read, then make the champion unbeatable
                after = registry.ask(str(params.unbeatable) if step == 0 else "-", budget)
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
