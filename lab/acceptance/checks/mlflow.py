"""The model registry check, through MLflow's REST API (works against any MLflow server)."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
from pydantic import Field

from lab.acceptance.checks._base import (
    CheckContext,
    CheckFailed,
    Outcome,
    Params,
    Status,
    short,
    training_command,
)
from lab.acceptance.checks._http import call, json_of
from lab.acceptance.checks.facts import Fact
from lab.acceptance.checks.files import model_label, project_manifest
from lab.acceptance.checks.kinds import CHECK_KINDS

NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"


class RegistryParams(Params):
    model_name: str | None = Field(None, pattern=NAME)  # default: MODEL_NAME
    alias: str = Field("champion", pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    label_tag: str = "version_label"


#: (model name, its aliased version, facts), by (name, alias)
CHAMPION: Fact[tuple[str, dict[str, Any], dict[str, str]]] = Fact("champion")


def champion(
    params: RegistryParams, ctx: CheckContext
) -> tuple[str, dict[str, Any], dict[str, str]]:
    """(model name, the aliased model version, facts), looked up once per run."""
    name = params.model_name or ctx.settings.MODEL_NAME
    return ctx.facts.once(CHAMPION, (name, params.alias), lambda: _champion(name, params, ctx))


def _champion(
    name: str, params: RegistryParams, ctx: CheckContext
) -> tuple[str, dict[str, Any], dict[str, str]]:
    base = ctx.targets.mlflow_url
    url = f"{base}/api/2.0/mlflow/registered-models/alias"
    with ctx.client() as client:
        response = call(ctx, client, "GET", url, params={"name": name, "alias": params.alias})
        facts = _version_fact(client, base)
    if response.status_code in (400, 404) and "error_code" in response.text:
        raise CheckFailed(
            f"MLflow has no model {name!r} with alias {params.alias!r} "
            f"({_error_code(response)}); run {training_command(ctx)}"
        )
    body = json_of(response, "MLflow alias lookup")
    version = body.get("model_version") if isinstance(body, dict) else None
    if not isinstance(version, dict):
        raise CheckFailed(f"MLflow answered without a model_version: {short(str(body))}")
    return name, version, facts


def tags_of(item: dict[str, Any]) -> dict[str, str]:
    return {
        str(t.get("key")): str(t.get("value")) for t in item.get("tags", []) if isinstance(t, dict)
    }


@CHECK_KINDS.kind("mlflow_alias", RegistryParams)
def mlflow_alias(params: RegistryParams, ctx: CheckContext) -> Outcome:
    """The registered model has a version under the alias, tagged with its human label."""
    name, version, facts = champion(params, ctx)
    label = tags_of(version).get(params.label_tag)
    if not label:
        raise CheckFailed(
            f"{name} version {version.get('version')} (@{params.alias}) has no "
            f"`{params.label_tag}` tag; register it with {training_command(ctx)} "
            "and `--model_version LABEL`"
        )
    return Outcome(
        Status.PASS,
        f"{name} version {version.get('version')} @{params.alias}, {params.label_tag} {label}",
        facts,
    )


def run_of(params: RegistryParams, ctx: CheckContext) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the aliased version, the MLflow run that produced it: params, metrics and tags as dicts)."""
    _, version, _ = champion(params, ctx)
    run_id = version.get("run_id")
    if not run_id:
        raise CheckFailed(f"version {version.get('version')} names no run (run_id is empty)")
    url = f"{ctx.targets.mlflow_url}/api/2.0/mlflow/runs/get"
    with ctx.client() as client:
        body = json_of(call(ctx, client, "GET", url, params={"run_id": run_id}), "MLflow run")
    data = (body.get("run") or {}).get("data") or {} if isinstance(body, dict) else {}
    run = {
        "id": run_id,
        "params": {p["key"]: p.get("value") for p in data.get("params", [])},
        "metrics": {m["key"]: m.get("value") for m in data.get("metrics", [])},
        "tags": tags_of(data),
    }
    return version, run


class RunParams(RegistryParams):
    params_any: list[list[str]] = Field(
        default_factory=lambda: [["n_samples"], ["C", "c_param", "c"]]
    )
    metrics: list[str] = Field(default_factory=lambda: ["accuracy"])


@CHECK_KINDS.kind("mlflow_run", RunParams)
def mlflow_run(params: RunParams, ctx: CheckContext) -> str:
    """The run behind the champion version logged the hyperparameters and the metrics."""
    _, run = run_of(params, ctx)
    missing = [" or ".join(names) for names in params.params_any
               if not any(n in run["params"] for n in names)]  # fmt: skip
    missing += [f"metric {m}" for m in params.metrics if m not in run["metrics"]]
    if missing:
        raise CheckFailed(
            f"run {run['id'][:12]} lacks {', '.join(missing)} (params: "
            f"{', '.join(sorted(run['params'])) or 'none'}; metrics: "
            f"{', '.join(sorted(run['metrics'])) or 'none'})"
        )
    shown = {
        k: run["params"][k] for names in params.params_any for k in names if k in run["params"]
    }
    scores = ", ".join(f"{m} {run['metrics'][m]:.3f}" for m in params.metrics)
    return f"run {run['id'][:12]}: {', '.join(f'{k}={v}' for k, v in shown.items())}; {scores}"


@CHECK_KINDS.kind("mlflow_label", RegistryParams)
def mlflow_label(params: RegistryParams, ctx: CheckContext) -> str:
    """The version label given to training is on the registered version and on its run."""
    version, run = run_of(params, ctx)
    label = tags_of(version).get(params.label_tag)
    if not label:
        raise CheckFailed(f"version {version.get('version')} has no `{params.label_tag}` tag")
    on_run = run["params"].get("model_version") or run["tags"].get(params.label_tag)
    if on_run != label:
        raise CheckFailed(
            f"version {version.get('version')} is labelled {label!r} but its run recorded "
            f"model_version {on_run!r}"
        )
    return f"label {label!r} on version {version.get('version')} and on run {run['id'][:12]}"


@CHECK_KINDS.kind("model_served", RegistryParams)
def model_served(params: RegistryParams, ctx: CheckContext) -> str:
    """/health says model_loaded true and serves the label of the registered champion."""
    from lab.acceptance.checks.api import health

    body = health(ctx)
    if body["model_loaded"] is not True:
        rest = {k: v for k, v in body.items() if k != "model_loaded"}
        raise CheckFailed(f"/health says model_loaded={body['model_loaded']!r}: {short(str(rest))}")
    served = body.get("model_version")
    try:
        _, version, _ = champion(params, ctx)
        expected = tags_of(version).get(params.label_tag)
        source = f"MLflow's @{params.alias}"
    except CheckFailed as missing:
        expected, source = model_label(ctx), "the model file's manifest"
        manifest = project_manifest(ctx)
        if not manifest.is_file():
            # nothing the training registered or wrote: whatever is served (a course's
            # fixture model, say) is not the learner's model
            raise CheckFailed(
                f"/health serves {served!r}, but training registered no model ({missing}) "
                f"and wrote no model manifest ({manifest} does not exist)"
            ) from None
    if expected and served != expected:
        raise CheckFailed(f"/health serves {served!r} but {source} is {expected!r}")
    return f"model_loaded true, serving {served!r} ({source}: {expected!r})"


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
