"""The model registry check, through MLflow's REST API (works against any MLflow server)."""

from __future__ import annotations

import contextlib

import httpx
from pydantic import Field

from lab.acceptance.checks._base import CheckContext, CheckFailed, Outcome, Params, Status, short
from lab.acceptance.checks._http import call, json_of
from lab.acceptance.checks.kinds import CHECK_KINDS

NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"


class RegistryParams(Params):
    model_name: str | None = Field(None, pattern=NAME)  # default: MODEL_NAME
    alias: str = Field("champion", pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    label_tag: str = "version_label"


@CHECK_KINDS.kind("mlflow_alias", RegistryParams)
def mlflow_alias(params: RegistryParams, ctx: CheckContext) -> Outcome:
    """The registered model has a version under the alias, tagged with its human label."""
    name = params.model_name or ctx.settings.MODEL_NAME
    base = ctx.targets.mlflow_url
    url = f"{base}/api/2.0/mlflow/registered-models/alias"
    with ctx.client() as client:
        response = call(ctx, client, "GET", url, params={"name": name, "alias": params.alias})
        facts = _version_fact(client, base)
    if response.status_code in (400, 404):
        code = _error_code(response)
        raise CheckFailed(
            f"MLflow has no model {name!r} with alias {params.alias!r} ({code}); run `lab train`"
        )
    body = json_of(response, "MLflow alias lookup")
    version = body.get("model_version") if isinstance(body, dict) else None
    if not isinstance(version, dict):
        raise CheckFailed(f"MLflow answered without a model_version: {short(str(body))}")
    tags = {t.get("key"): t.get("value") for t in version.get("tags", []) if isinstance(t, dict)}
    label = tags.get(params.label_tag)
    if not label:
        raise CheckFailed(
            f"{name} version {version.get('version')} (@{params.alias}) has no "
            f"`{params.label_tag}` tag; register it with `lab train --model-version LABEL`"
        )
    return Outcome(
        Status.PASS,
        f"{name} version {version.get('version')} @{params.alias}, {params.label_tag} {label}",
        facts,
    )


def _error_code(response: httpx.Response) -> str:
    with contextlib.suppress(ValueError, AttributeError):
        return str(response.json().get("error_code", f"HTTP {response.status_code}"))
    return f"HTTP {response.status_code}"


def _version_fact(client: httpx.Client, base: str) -> dict[str, str]:
    with contextlib.suppress(httpx.HTTPError):
        answer = client.get(f"{base}/version")
        if answer.is_success and len(answer.text) < 40:
            return {"mlflow": answer.text.strip()}
    return {}
