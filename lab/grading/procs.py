"""Child processes of `lab grade`: each learner's `lab check` and workspace lab, bounded in time.

Every child gets its own process group / session, so a time budget that runs out stops the
child and everything it started (MLflow, uvicorn workers...), never the grader.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from lab.procs import spawn_group, stop_tree, tail
from lab.settings import Settings

__all__ = ["Children", "clean_env", "run_bounded", "spawn", "stop_tree", "tail"]

#: Keys of the grader's own environment a learner's process must not inherit (their settings,
#: secrets and MLflow/Prometheus variables would point at the grader's lab or leak its tokens).
PRIVATE_PREFIXES = ("MLFLOW_", "PROMETHEUS_MULTIPROC", "LAB_")


def clean_env(**values: object) -> dict[str, str]:
    """The grader's environment without any lab setting or secret, plus `values`."""
    settings_keys = set(Settings.model_fields)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in settings_keys and not k.startswith(PRIVATE_PREFIXES)
    }
    env.update(PYTHONUNBUFFERED="1", GIT_PYTHON_REFRESH="quiet", NO_COLOR="1", COLUMNS="160")
    env.update({k: str(v) for k, v in values.items()})
    return env


class Children:
    """Every child `lab grade` started and has not stopped yet, so an interrupted run (Ctrl-C,
    SIGTERM) stops them all instead of leaving learners' labs running."""

    def __init__(self) -> None:
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    def add(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.add(proc)

    def discard(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.discard(proc)

    def stop_all(self) -> None:
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            stop_tree(proc, grace=5.0)
            self.discard(proc)


def spawn(
    args: Sequence[str], cwd: Path, env: Mapping[str, str], log: Path, children: Children
) -> subprocess.Popen[bytes]:
    """Start `args` in its own process group, stdout+stderr appended to `log`; track it."""
    proc = spawn_group(Path(args[0]).name, args, cwd=cwd, env=env, log=log, append=True).proc
    children.add(proc)
    return proc


def run_bounded(
    args: Sequence[str], cwd: Path, env: Mapping[str, str], log: Path, timeout: float,
    children: Children,
) -> int | None:  # fmt: skip
    """Run `args` to the end; its exit code, or None when `timeout` ran out (tree stopped)."""
    proc = spawn(args, cwd, env, log, children)
    try:
        return proc.wait(max(timeout, 0.1))
    except subprocess.TimeoutExpired:
        return None
    finally:
        stop_tree(proc, grace=3.0)
        children.discard(proc)
