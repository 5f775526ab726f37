"""Before the first `lab up`: is there a model anywhere, or must one be trained first?"""

from __future__ import annotations

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
