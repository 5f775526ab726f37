"""Checks on the serving API: /health, /predict (good and bad rows) and /metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, ConfigDict, Field

from lab.acceptance.checks._base import CheckContext, CheckFailed, Params, short
from lab.acceptance.checks._http import (
    call,
    first_line,
    get_json,
    json_of,
    server_error_hint,
    unexpected,
)
from lab.acceptance.checks.facts import Fact
from lab.acceptance.checks.kinds import CHECK_KINDS
from lab.acceptance.graded import lab_checkout
from lab.orchestration import procfile

#: A realistic customer (the ten features of lab.data, in order).
SAMPLE_ROW = [12.0, 79.5, 3.0, 4.0, 21.0, 1.0, 1.0, 2.0, 14.5, 2.0]


@CHECK_KINDS.kind("api_health")
def api_health(_params: Params, ctx: CheckContext) -> str:
    """GET /health answers JSON with a boolean `model_loaded` (true or false, with a reason)."""
    body = health(ctx)
    loaded = body["model_loaded"]
    if loaded is True:
        return f"model_loaded true, model_version {body.get('model_version', '?')}"
    return f"model_loaded false, and says why: {_why(body)}"


#: the API's /health answer
HEALTH: Fact[dict[str, Any]] = Fact("health")


def health(ctx: CheckContext) -> dict[str, Any]:
    """The /health answer (once per run), checked to hold a boolean `model_loaded`."""
    return ctx.facts.once(HEALTH, None, lambda: _health(ctx))


def _health(ctx: CheckContext) -> dict[str, Any]:
    url = f"{ctx.targets.api_url}/health"
    with ctx.client() as client:
        body = get_json(ctx, client, url, "/health")
    if not isinstance(body, dict) or not isinstance(body.get("model_loaded"), bool):
        raise CheckFailed(f"/health has no boolean `model_loaded` field: {short(json.dumps(body))}")
    return body


def _why(body: dict[str, Any]) -> str:
    rest = {k: v for k, v in body.items() if k != "model_loaded"}
    return short(json.dumps(rest), 140)


class StartParams(Params):
    process: str = "api"


@CHECK_KINDS.kind("api_starts", StartParams)
def api_starts(params: StartParams, ctx: CheckContext) -> str:
    """One command starts the API (a Procfile line `lab up` runs), and it answers."""
    own = ctx.first_file("Procfile")
    ws = ctx.workspace
    if own is None and ws is None and Path(ctx.project_dir).resolve() != lab_checkout():
        # a project's API starts from its own Procfile, never from the grader's lab's
        raise CheckFailed(f"no Procfile in {ctx.project_dir}: nothing says how `lab up` "
                          f"starts its {params.process}")  # fmt: skip
    path = own or ctx.settings.LAB_CONFIG_DIR.parent / "Procfile"
    lines = _procfile(path)
    if ws is not None:
        lines = ws.processes(lines)
        source = "workspace.toml [processes] over the lab's Procfile"
    else:
        source = str(path)
    command = lines.get(params.process)
    if not command:
        raise CheckFailed(f"no `{params.process}` process in {source}: `lab up` would not start it")
    url = f"{ctx.targets.api_url}/health"
    with ctx.client() as client:
        response = call(ctx, client, "GET", url)
    if response.status_code >= 500 or response.status_code == 404:
        raise unexpected(response, "the API")
    return (
        f"`lab up` runs {params.process}: {short(command, 80)}; "
        f"{url} answered {response.status_code}"
    )


def _procfile(path: Path) -> dict[str, str]:
    """The project's Procfile as `lab up` reads it ({} when there is none or it is unreadable:
    the criterion then says the process is missing)."""
    try:
        return procfile.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, AssertionError):
        return {}


class PredictParams(Params):
    path: str = "/predict"
    features: list[float] = Field(default_factory=lambda: list(SAMPLE_ROW), min_length=1)
    expect_keys: list[str] = Field(default_factory=lambda: ["prediction", "model_version"])


@CHECK_KINDS.kind("api_predict", PredictParams)
def api_predict(params: PredictParams, ctx: CheckContext) -> str:
    """POST /predict with one valid row answers 200 JSON holding the class and model_version."""
    url = f"{ctx.targets.api_url}{params.path}"
    with ctx.client() as client:
        response = call(ctx, client, "POST", url, json={"features": params.features})
    body = json_of(response, params.path)
    if response.status_code != 200:
        raise CheckFailed(f"{params.path} answered HTTP {response.status_code}, not 200")
    if not isinstance(body, dict):
        raise CheckFailed(f"{params.path} answered {short(json.dumps(body))}, not a JSON object")
    missing = [k for k in params.expect_keys if k not in body]
    if missing:
        raise CheckFailed(f"{params.path} answer lacks {', '.join(missing)}: {short(str(body))}")
    return f"{params.path} answered {short(json.dumps(body), 140)}"


_TEN = ", ".join(["1"] * 10)
_NINE = ", ".join(["1"] * 9)
#: (what is wrong, content type, raw body): each must get a 4xx with a message
BAD_BODIES: list[tuple[str, str, str]] = [
    ("wrong length", "application/json", '{"features": [1, 2, 3]}'),
    ("strings", "application/json", '{"features": [' + ", ".join(['"a"'] * 10) + "]}"),
    ("null", "application/json", '{"features": null}'),
    ("NaN", "application/json", '{"features": [NaN, ' + _NINE + "]}"),
    ("Infinity", "application/json", '{"features": [Infinity, ' + _NINE + "]}"),
    ("nested lists", "application/json", '{"features": [[' + _TEN + "]]}"),
    ("empty body", "application/json", ""),
    (
        "huge numbers",
        "application/json",
        '{"features": [1e308, 1e300, ' + ", ".join(["1"] * 8) + "]}",
    ),
    ("wrong content type", "application/x-www-form-urlencoded", "features=1,2,3"),
    ("no features", "application/json", '{"rows": []}'),
]


class BadBody(BaseModel):
    """One bad request: what is wrong with it, its content type and its raw body."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    what: str = Field(min_length=1)
    content_type: str = "application/json"
    body: str = ""


class RejectParams(Params):
    path: str = "/predict"
    #: the bodies sent (an extra rubric sends others: `{what, content_type, body}` each)
    bad_bodies: list[BadBody] = Field(
        default_factory=lambda: [BadBody(what=w, content_type=c, body=b) for w, c, b in BAD_BODIES],
        min_length=1,
    )


@CHECK_KINDS.kind("api_rejects_bad_input", RejectParams)
def api_rejects_bad_input(params: RejectParams, ctx: CheckContext) -> str:
    """POST /predict with each malformed body answers 4xx with a message (never 2xx, never 5xx)."""
    url = f"{ctx.targets.api_url}{params.path}"
    codes: list[str] = []
    with ctx.client() as client:
        for bad in params.bad_bodies:
            what, content_type, body = bad.what, bad.content_type, bad.body
            response = call(
                ctx, client, "POST", url, content=body, headers={"content-type": content_type}
            )
            sent = f"{what} ({short(body, 50) or 'no body'})"
            if response.status_code >= 500:
                raise CheckFailed(
                    f"{params.path} answered HTTP {response.status_code} to the bad body {sent}: "
                    f"{first_line(response)}",
                    *server_error_hint(response.status_code),
                )
            if not 400 <= response.status_code < 500:
                raise CheckFailed(
                    f"{params.path} answered HTTP {response.status_code} to the bad body {sent} "
                    "(expected a 4xx)"
                )
            if not response.text.strip():
                raise CheckFailed(
                    f"{params.path} answered HTTP {response.status_code} to {sent} with no message"
                )
            codes.append(f"{what} {response.status_code}")
    return f"{len(codes)} bad bodies, each 4xx with a message: {', '.join(codes)}"


class MetricsParams(Params):
    path: str = "/metrics"
    #: metric name -> labels its samples must carry
    metrics: dict[str, list[str]] = Field(min_length=1)
    warm_up: bool = True  # one valid /predict first, so labelled series have samples


def _families(text: str) -> dict[str, list[Any]]:
    """Metric name (as written, `_total` kept) -> its samples; declared-only metrics included."""
    found: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(text):
        names = {family.name}
        if family.type == "counter":
            names.add(f"{family.name}_total")
        for name in names:
            found.setdefault(name, []).extend(family.samples)
    return found


@CHECK_KINDS.kind("api_metrics", MetricsParams)
def api_metrics(params: MetricsParams, ctx: CheckContext) -> str:
    """GET /metrics (Prometheus text) exposes each metric, with the required labels on samples."""
    url = f"{ctx.targets.api_url}{params.path}"
    with ctx.client() as client:
        if params.warm_up:
            call(
                ctx, client, "POST", f"{ctx.targets.api_url}/predict", json={"features": SAMPLE_ROW}
            )
        response = call(ctx, client, "GET", url)
    if response.status_code != 200:
        raise CheckFailed(f"{params.path} answered HTTP {response.status_code}")
    try:
        families = _families(response.text)
    except ValueError as exc:
        raise CheckFailed(
            f"{params.path} is not Prometheus text format: {short(str(exc))}"
        ) from None
    missing = [name for name in params.metrics if name not in families]
    if missing:
        raise CheckFailed(f"{params.path} lacks {', '.join(missing)}")
    for name, labels in params.metrics.items():
        if not labels:
            continue
        samples = families[name]
        if not samples:
            raise CheckFailed(f"{name} is declared but has no samples (send a /predict first)")
        unlabelled = [s for s in samples if any(label not in s.labels for label in labels)]
        if unlabelled:
            raise CheckFailed(
                f"{unlabelled[0].name} has a sample without label {', '.join(labels)}: "
                f"{unlabelled[0].labels}"
            )
    labelled = [f"{n} ({', '.join(ls)})" for n, ls in params.metrics.items() if ls]
    return f"exposes {', '.join(params.metrics)}; labelled: {'; '.join(labelled) or 'none'}"
