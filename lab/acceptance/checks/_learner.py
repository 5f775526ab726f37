"""Running the project's own code for a check: its interpreter, its train and test commands.

Under `lab grade` the checks get the learner's sandbox (`CheckContext.sandbox`, lab.sandbox):
every such command then runs inside it, with the written-down environment and a bounded
output (stdout and stderr together, head and tail kept). Under a plain `lab check` the
learner runs their own code on their own machine, as before.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from lab.acceptance.checks._base import CheckContext
from lab.acceptance.checks._priority import run_low
from lab.sandbox import capture


def run_project(
    ctx: CheckContext, cmd: Sequence[str], *, timeout: float, cwd: Path | None = None,
    env: Mapping[str, str] | None = None, writable: Sequence[Path] = (), low: bool = False,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """`subprocess.run(cmd, capture_output=True, text=True)` for the project's code: in the
    sandbox when there is one (`stderr` is then "" and `stdout` holds both, bounded).

    `env` are the keys added to the environment; `writable` the folders besides the project
    the command may write (a scratch LAB_HOME). Raises `subprocess.TimeoutExpired` past
    `timeout` (the command and everything it started are stopped) and FileNotFoundError for a
    program that does not exist (outside the sandbox)."""
    where = cwd or ctx.project_dir
    if ctx.sandbox is None:
        full = {**os.environ, **(env or {})}
        if low:
            return run_low(cmd, cwd=where, env=full, timeout=timeout)
        return subprocess.run(
            list(cmd), cwd=where, env=full, capture_output=True, text=True, timeout=timeout
        )
    prepared = ctx.sandbox.prepare(cmd, cwd=where, env=env, writable=writable)
    with tempfile.TemporaryDirectory(prefix="lab-check-out-") as tmp:
        done = capture.run(prepared, Path(tmp) / "output.log", timeout)
        if done.code is None:
            raise subprocess.TimeoutExpired(list(cmd), timeout)
        return subprocess.CompletedProcess(list(cmd), done.code, done.text(), "")
