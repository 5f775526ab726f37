"""`GET /health` (always 200: what is loaded, or why not) and `GET /ready` (200 with a model)."""

from __future__ import annotations

from litestar import get
from litestar.datastructures import State

from lab.serving import schemas
from lab.serving.model_store import ModelStore
from lab.serving.problems import Problem


def health_of(store: ModelStore, model_name: str) -> schemas.Health:
    model = store.current
    common = {
        "model_name": model_name,
        "last_reload_error": store.last_error,
        "registry": store.registry_status,
        "checked_at": store.checked_at,
    }
    if model is None:
        return schemas.Health(
            status="no_model", model_loaded=False, model_version=None, registry_version=None,
            source=None, loaded_at=None, sha256=None, predictor=None, reason=store.reason,
            **common,
        )  # fmt: skip
    return schemas.Health(
        status="ok", model_loaded=True, model_version=model.label,
        registry_version=model.registry_version, source=model.source, loaded_at=model.loaded_at,
        sha256=model.sha256, predictor=model.predictor_kind, **common,
    )  # fmt: skip


_EXAMPLE = {
    "status": "ok", "model_loaded": True, "model_name": "churn-model",
    "model_version": "v1.2.0-stable", "registry_version": "3", "source": "registry",
    "loaded_at": "2025-01-01T12:00:00+00:00", "sha256": "9f86d081884c7d65...",
    "predictor": "fast-linear", "reason": None, "last_reload_error": None,
    "registry": "champion is version 3 (v1.2.0-stable)", "checked_at": "2025-01-01T12:00:10+00:00",
}  # fmt: skip


@get(
    "/health",
    tags=["operations"],
    summary="What model is loaded, or why none is",
    description="Always 200 while the process runs. `model_loaded` says whether /predict can "
    "answer; `reason` says why not; `source` is `registry` (MLflow) or `file` (the verified "
    "sample_model.joblib fallback).",
    responses={200: schemas.success(schemas.Health, "The API's state", {"loaded": _EXAMPLE})},
    sync_to_thread=False,
)
def health(state: State) -> schemas.Health:
    return health_of(state.models, state.settings.MODEL_NAME)


@get(
    "/ready",
    tags=["operations"],
    summary="Readiness: 200 only when a model is loaded",
    description="For process supervisors and load balancers: 503 until a model is loaded.",
    responses={
        200: schemas.success(schemas.Health, "A model is loaded", {"ready": _EXAMPLE}),
        503: schemas.problem("No model is loaded (the detail says why)"),
    },
    sync_to_thread=False,
)
def ready(state: State) -> schemas.Health:
    answer = health_of(state.models, state.settings.MODEL_NAME)
    if not answer.model_loaded:
        raise Problem(503, f"not ready: {answer.reason}", headers={"Retry-After": "5"})
    return answer
