"""Child processes of `lab grade`: each learner's `lab check` and workspace lab.

Every child runs through lab.sandbox.capture (its own session, a bounded log, stopped with
everything it started). `Children` knows the ones still running, so an interrupted run
(Ctrl-C, SIGTERM) stops them all instead of leaving learners' labs running.
"""

from __future__ import annotations

import os
import threading

from lab.sandbox.capture import Running
from lab.settings import Settings

#: Keys of the grader's own environment its `lab check` children do not inherit (their
#: settings, secrets and MLflow/Prometheus variables would point at the grader's lab).
PRIVATE_PREFIXES = ("MLFLOW_", "PROMETHEUS_MULTIPROC", "LAB_", "PYTHON")


def clean_env(**values: object) -> dict[str, str]:
    """The grader's environment without any lab setting, secret or PYTHON* variable, plus
    `values` (for the grader's own `lab check`; learner code gets lab.sandbox's allow-list)."""
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
    """Every child `lab grade` started and has not stopped yet."""

    def __init__(self) -> None:
        self._running: set[Running] = set()
        self._lock = threading.Lock()

    def add(self, running: Running) -> None:
        with self._lock:
            self._running.add(running)

    def discard(self, running: Running) -> None:
        with self._lock:
            self._running.discard(running)

    def stop_all(self) -> None:
        with self._lock:
            running = list(self._running)
        for child in running:
            child.stop(grace=5.0)
            self.discard(child)
