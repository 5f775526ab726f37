"""`GET /health` (always 200: what is loaded, or why not) and `GET /ready` (200 with a model)."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.datastructures import State

from lab.serving import schemas
from lab.serving.loading import LoadedModel
from lab.serving.metrics import CHALLENGER, CHAMPION
from lab.serving.model_store import ModelStore
from lab.web.problems import ProblemError


def model_info(alias: schemas.Alias, model: LoadedModel) -> schemas.ModelInfo:
    return schemas.ModelInfo(
        alias=alias, model_version=model.label, registry_version=model.registry_version,
        source=model.source, loaded_at=model.loaded_at, sha256=model.sha256,
        integrity=model.integrity, predictor=model.predictor_kind,
        drift_measured=model.window is not None,
    )  # fmt: skip


def split_of(store: ModelStore) -> schemas.Split:
    state = store.split.state
    live = store.current is not None and store.challenger.current is not None
    return schemas.Split(
        challenger_share=state.share, effective_share=state.share if live else 0.0,
        set_by=state.set_by, set_at=state.set_at, refused=store.split_refused,
    )  # fmt: skip


def health_of(store: ModelStore, model_name: str) -> schemas.Health:
    model, challenger = store.current, store.challenger.current
    models = [model_info(CHAMPION, m) for m in (model,) if m is not None]
    models += [model_info(CHALLENGER, m) for m in (challenger,) if m is not None]
    common: dict[str, Any] = {
        "model_name": model_name,
        "last_reload_error": store.last_error,
        "registry": store.registry_status,
        "checked_at": store.checked_at,
        "models": models,
        "split": split_of(store),
        "challenger": store.challenger.status,
        "challenger_error": store.challenger.last_error,
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
    "models": [
        {"alias": "champion", "model_version": "v1.2.0-stable", "registry_version": "3",
         "source": "registry", "loaded_at": "2025-01-01T12:00:00+00:00",
         "sha256": "9f86d081884c7d65...", "integrity": "verified", "predictor": "fast-linear",
         "drift_measured": True},
        {"alias": "challenger", "model_version": "v1.3.0", "registry_version": "4",
         "source": "registry", "loaded_at": "2025-01-01T12:05:00+00:00",
         "sha256": "60303ae22b998861...", "integrity": "verified", "predictor": "fast-linear",
         "drift_measured": True},
    ],
    "split": {"challenger_share": 0.1, "effective_share": 0.1, "set_by": "admin",
              "set_at": "2025-01-01T12:05:01+00:00",
              "sticky_by": "the X-Customer-Id header of /predict and the customer_id of "
                           "/crm_segment_update; random without one"},
    "challenger": "challenger is version 4 (v1.3.0)", "challenger_error": None,
}  # fmt: skip


@get(
    "/health",
    tags=["operations"],
    summary="What model is loaded, or why none is",
    description="Always 200 while the process runs. `model_loaded` says whether /predict can "
    "answer; `reason` says why not; `source` is `registry` (MLflow) or `file` (the verified "
    "sample_model.joblib fallback). The top-level model fields describe the champion; `models` "
    "lists every model held (champion, and the challenger during a rollout) and `split` the "
    "challenger's share of traffic.",
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
        raise ProblemError(503, f"not ready: {answer.reason}", headers={"Retry-After": "5"})
    return answer
