"""Child processes of `lab grade`: each learner's `lab check` and workspace lab, bounded in time.

Every child gets its own process group / session, so a time budget that runs out stops the
child and everything it started (MLflow, uvicorn workers...), never the grader.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import psutil

from lab.orchestration import proctree
from lab.settings import Settings

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
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        if sys.platform == "win32":
            proc = subprocess.Popen(
                list(args), cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, creationflags=subprocess.CREATE_NEW_PROCESS_GROUP,
            )  # fmt: skip
        else:
            proc = subprocess.Popen(
                list(args), cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
    children.add(proc)
    return proc


def stop_tree(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop `proc` and every process it started (terminate, then kill after `grace`)."""
    # Only while `proc` is not reaped does its PID surely name it (PIDs wrap around): once it
    # ended, what it left was `lab up`'s to stop, and another program may have its number.
    with contextlib.suppress(psutil.Error):
        if proc.poll() is None:
            root = psutil.Process(proc.pid)
            family = [*root.children(recursive=True), root]
            with contextlib.suppress(OSError):
                proc.terminate()  # `lab up` stops its own processes on SIGTERM
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(grace)
            proctree.stop([p for p in family if proctree.alive(p)], grace=3.0)
    with contextlib.suppress(subprocess.TimeoutExpired, OSError):
        proc.wait(5)


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


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
