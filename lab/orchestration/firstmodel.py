"""Before the first `lab up`: is there a model anywhere, or must one be trained first?"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from lab.settings import Settings


def has_model(settings: Settings) -> bool:
    """A model file exists, or the registry has a `champion` for MODEL_NAME.

    The registry is only asked when there is no model file (importing MLflow is slow), and not
    at all when it would be the lab's own SQLite store and that does not exist yet.
    """
    if settings.model_path.is_file():
        return True
    from lab.training import mlflow_registry

    try:
        tracking = mlflow_registry.resolve_tracking(settings)
    except ConnectionError:
        return False  # a shared server is down: training says so clearly
    own_store = tracking.uri == settings.mlflow_db_uri
    if own_store and not (settings.mlflow_dir / "mlflow.db").is_file():
        return False
    client = mlflow_registry.configure(tracking)
    return (
        mlflow_registry.get_alias_version(client, settings.MODEL_NAME, mlflow_registry.CHAMPION)
        is not None
    )


#: exit code of `lab first-model` (lab up's child) when there was a model and nothing was trained
HAD_MODEL = 10


class FirstModelError(RuntimeError):
    """The lab's own first training failed; the message says so."""


def train_first(
    settings: Settings, env: dict[str, str], train: Sequence[str] | None, workspace: Path | None,
    say: Callable[[str], object] = print,
) -> bool:  # fmt: skip
    """Train with `lab train`'s defaults when there is no model file and no champion; in a
    workspace (`workspace`: its folder), only with the workspace's own `train` command (the
    learner's training: the lab's would hand an M3 learner the model for free), and a failure
    there is a warning. True when a model was trained.

    In a child process: `lab up` itself never imports MLflow or scikit-learn (memory)."""
    if settings.model_path.is_file():
        return False
    if workspace is not None:
        if train is None:
            return False
        say(f"No model yet: training one with the workspace's `{' '.join(train)}`.")
        if not settings.MLFLOW_TRACKING_URI:  # MLflow's server starts later: its SQLite store
            settings.mlflow_dir.mkdir(parents=True, exist_ok=True)
            env = {**env, "MLFLOW_TRACKING_URI": settings.mlflow_db_uri}
        if subprocess.call(list(train), env=env, cwd=workspace) != 0:
            say("[yellow]warning:[/] the workspace's training failed; starting anyway")
            return False
        return True
    code = subprocess.call([sys.executable, "-m", "lab", "first-model"], env=env)
    if code not in (0, HAD_MODEL):
        raise FirstModelError(f"training the first model failed (exit code {code}); see above")
    return code == 0
