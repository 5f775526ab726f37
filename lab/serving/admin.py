"""Bearer-token protected operations: `POST /admin/reload` (check the registry and the model
file now) and `POST /admin/split` (the challenger's share of traffic)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Parameter

from lab.serving import schemas
from lab.serving.health import split_of
from lab.web.auth import require_bearer
from lab.web.problems import ProblemError

BEARER_SCHEME = "adminBearer"


def require_admin_token(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time."""
    require_bearer(
        connection.headers.get("authorization", ""), connection.app.state.settings.ADMIN_TOKEN,
        key="ADMIN_TOKEN", realm="mlops-lab admin",
        off="admin endpoints are off: ADMIN_TOKEN is not set (run `lab init`)",
    )  # fmt: skip


_RELOADED = {
    "outcome": "reloaded", "model_loaded": True, "model_version": "v1.3.0",
    "registry_version": "4", "source": "registry", "reason": None,
}  # fmt: skip


@post(
    "/admin/reload",
    status_code=200,
    guards=[require_admin_token],
    security=[{BEARER_SCHEME: []}],
    tags=["operations"],
    summary="Reload the model now",
    description="Checks `models:/<MODEL_NAME>@champion` (or, with the registry unreachable, "
    "the model file) and `@challenger` at once instead of at the next poll, and swaps in a "
    "changed model. `force=true` reloads and re-verifies even unchanged models. A champion "
    "that fails to load is refused (502) and the previous one keeps serving; a challenger "
    "that fails is refused too (502, `challenger_outcome: failed`) and its traffic goes to the "
    "champion. With several workers, the others follow at their next poll "
    "(MODEL_POLL_SECONDS).",
    responses={
        200: schemas.success(schemas.ReloadAnswer, "Reloaded or unchanged", {"ok": _RELOADED}),
        400: schemas.problem("A query parameter is malformed"),
        401: schemas.problem("Missing or wrong bearer token"),
        403: schemas.problem("ADMIN_TOKEN is not set on the server"),
        502: schemas.problem("A new model failed to load; what served before keeps serving"),
    },
)
async def reload_model(
    state: State,
    force: bool = Parameter(default=False, description="Reload even if the version is unchanged"),
) -> schemas.ReloadAnswer:
    done = await state.models.refresh(force=force)
    result, challenger = done.champion, done.challenger
    model = result.model
    answer = schemas.ReloadAnswer(
        outcome=result.outcome,
        model_loaded=model is not None,
        model_version=model.label if model else None,
        registry_version=model.registry_version if model else None,
        source=model.source if model else None,
        reason=result.reason,
        challenger_outcome=challenger.outcome,
        challenger_version=challenger.model.label if challenger.model else None,
        challenger_reason=challenger.reason,
    )
    if result.outcome == "failed":
        raise ProblemError(
            502, f"the model was refused: {result.reason}", outcome="failed",
            model_loaded=answer.model_loaded, model_version=answer.model_version,
        )  # fmt: skip
    if challenger.outcome == "failed":
        raise ProblemError(
            502, f"the champion serves on, but {challenger.reason}", outcome=result.outcome,
            challenger_outcome="failed", model_loaded=answer.model_loaded,
            model_version=answer.model_version,
        )  # fmt: skip
    return answer


_SPLIT_HELP = (
    'a JSON object {"share": S}, S from 0 to 1 (0.1 sends 10% of traffic to the challenger)'
)
_SPLIT_DECODER = msgspec.json.Decoder(schemas.SplitRequest)
_SPLIT = {
    "challenger_share": 0.1, "effective_share": 0.1, "set_by": "admin",
    "set_at": "2025-01-01T12:05:01+00:00",
    "sticky_by": "the X-Customer-Id header of /predict and the customer_id of "
                 "/crm_segment_update; random without one",
}  # fmt: skip


@post(
    "/admin/split",
    status_code=200,
    guards=[require_admin_token],
    security=[{BEARER_SCHEME: []}],
    tags=["operations"],
    summary="Set the challenger's share of traffic",
    description='Body `{"share": 0.1}`: from now on 10% of /predict and /crm_segment_update '
    "traffic goes to the `challenger` model, while one is loaded (sticky per customer id, random "
    "without). 0 sends everything to the champion. The share is recorded in the registry beside "
    "the alias (tag rollout.challenger_share), so an API started later serves it; `recorded` "
    "says whether that worked. The answer is the split as /health shows it. With several "
    "workers, the others follow at their next poll (MODEL_POLL_SECONDS).",
    operation_class=schemas.split_operation(),
    responses={
        200: schemas.success(schemas.Split, "The split now", {"ten percent": _SPLIT}),
        400: schemas.problem("The body is empty or not JSON"),
        401: schemas.problem("Missing or wrong bearer token"),
        403: schemas.problem("ADMIN_TOKEN is not set on the server"),
        422: schemas.problem("The share is missing or not a number from 0 to 1"),
        503: schemas.problem("The workers' shared folder could not be written; nothing changed"),
    },
)
async def set_split(request: Request) -> schemas.Split:
    body = await request.body()
    if not body.strip():
        raise ProblemError(400, f"the body is empty: send {_SPLIT_HELP}", field="body")
    try:
        wanted = _SPLIT_DECODER.decode(body)
    except msgspec.ValidationError as exc:
        raise ProblemError(422, f"{_what(str(exc))}: send {_SPLIT_HELP}", field="share") from None
    except msgspec.DecodeError:
        raise ProblemError(400, f"the body is not JSON: send {_SPLIT_HELP}", field="body") from None
    if not 0.0 <= wanted.share <= 1.0:
        raise ProblemError(
            422, f"share {wanted.share!r} is outside 0 to 1: send {_SPLIT_HELP}", field="share"
        )
    store = request.app.state.models
    try:
        recorded = await store.record_share(wanted.share)
    except OSError as exc:  # the workers' shared file (e.g. the disk is full)
        raise ProblemError(
            503,
            f"the split could not be shared with the other workers ({exc}); nothing "
            "changed: free the disk or fix the run folder's permissions, then send it again",
            headers={"Retry-After": "5"},
        ) from None
    split = split_of(store)
    split.recorded = recorded
    return split


def _what(message: str) -> str:
    if "missing required field" in message:
        return "the body has no `share`"
    if "unknown field" in message:
        return "the body has a field other than `share`"
    if "out of range" in message:
        return "share is outside 0 to 1"
    return "share must be a number"
