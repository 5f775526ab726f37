"""`POST /admin/reload`: check the registry (and the model file) now, bearer-token protected."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Parameter

from lab.serving import schemas
from lab.serving.problems import Problem

BEARER_SCHEME = "adminBearer"


def require_admin_token(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time."""
    expected = connection.app.state.settings.ADMIN_TOKEN
    challenge = {"WWW-Authenticate": 'Bearer realm="mlops-lab admin"'}
    if not expected:
        raise Problem(403, "admin endpoints are off: ADMIN_TOKEN is not set (run `lab init`)")
    given = connection.headers.get("authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(
            401, "send `Authorization: Bearer <ADMIN_TOKEN>` (the token is in .env)",
            headers=challenge,
        )  # fmt: skip
    if not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise Problem(401, "the bearer token is not ADMIN_TOKEN (see .env)", headers=challenge)


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
    "the model file) at once instead of at the next poll, and swaps in a changed model. "
    "`force=true` reloads and re-verifies even an unchanged model. A model that fails to load "
    "is refused (502) and the previous one keeps serving. With several workers, the others "
    "follow at their next poll (MODEL_POLL_SECONDS).",
    responses={
        200: schemas.success(schemas.ReloadAnswer, "Reloaded or unchanged", {"ok": _RELOADED}),
        400: schemas.problem("A query parameter is malformed"),
        401: schemas.problem("Missing or wrong bearer token"),
        403: schemas.problem("ADMIN_TOKEN is not set on the server"),
        502: schemas.problem("The new model failed to load; the previous one keeps serving"),
    },
)
async def reload_model(
    state: State,
    force: bool = Parameter(default=False, description="Reload even if the version is unchanged"),
) -> schemas.ReloadAnswer:
    result = await state.models.refresh(force=force)
    model = result.model
    answer = schemas.ReloadAnswer(
        outcome=result.outcome,
        model_loaded=model is not None,
        model_version=model.label if model else None,
        registry_version=model.registry_version if model else None,
        source=model.source if model else None,
        reason=result.reason,
    )
    if result.outcome == "failed":
        raise Problem(
            502, f"the model was refused: {result.reason}", outcome="failed",
            model_loaded=answer.model_loaded, model_version=answer.model_version,
        )  # fmt: skip
    return answer
