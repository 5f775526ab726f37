"""Checks on the serving API: /health, /predict (good and bad rows) and /metrics."""

from __future__ import annotations

import json
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from pydantic import Field

from lab.acceptance.checks._base import CheckContext, CheckFailed, Params, short
from lab.acceptance.checks._http import call, get_json, json_of
from lab.acceptance.checks.kinds import CHECK_KINDS

#: A realistic customer (the ten features of lab.data, in order).
SAMPLE_ROW = [12.0, 79.5, 3.0, 4.0, 21.0, 1.0, 1.0, 2.0, 14.5, 2.0]


@CHECK_KINDS.kind("api_health")
def api_health(_params: Params, ctx: CheckContext) -> str:
    """GET /health answers JSON with `model_loaded: true`."""
    url = f"{ctx.targets.api_url}/health"
    with ctx.client() as client:
        body = get_json(ctx, client, url, "/health")
    if not isinstance(body, dict) or "model_loaded" not in body:
        raise CheckFailed(f"/health has no `model_loaded` field: {short(json.dumps(body))}")
    if body["model_loaded"] is not True:
        raise CheckFailed(f"/health says model_loaded={body['model_loaded']!r}: {_why(body)}")
    ctx.memo["served_version"] = body.get("model_version")
    return f"model_loaded true, model_version {body.get('model_version', '?')}"


def _why(body: dict[str, Any]) -> str:
    rest = {k: v for k, v in body.items() if k != "model_loaded"}
    return short(json.dumps(rest), 140)


class PredictParams(Params):
    path: str = "/predict"
    features: list[float] = Field(default_factory=lambda: list(SAMPLE_ROW), min_length=1)
    expect_keys: list[str] = Field(default_factory=lambda: ["prediction", "model_version"])


@CHECK_KINDS.kind("api_predict", PredictParams)
def api_predict(params: PredictParams, ctx: CheckContext) -> str:
    """POST /predict with one valid row answers 2xx JSON holding the expected keys."""
    url = f"{ctx.targets.api_url}{params.path}"
    with ctx.client() as client:
        body = json_of(call(ctx, client, "POST", url, json={"features": params.features}), url)
    if not isinstance(body, dict):
        raise CheckFailed(f"{params.path} answered {short(json.dumps(body))}, not a JSON object")
    missing = [k for k in params.expect_keys if k not in body]
    if missing:
        raise CheckFailed(f"{params.path} answer lacks {', '.join(missing)}: {short(str(body))}")
    return f"{params.path} answered {short(json.dumps(body), 140)}"


def _default_bad_bodies() -> list[Any]:
    return [{"features": [1.0, 2.0, 3.0]}, {"features": "abc"}, {"rows": []}, "not json"]


class RejectParams(Params):
    path: str = "/predict"
    bad_bodies: list[Any] = Field(default_factory=_default_bad_bodies, min_length=1)


@CHECK_KINDS.kind("api_rejects_bad_input", RejectParams)
def api_rejects_bad_input(params: RejectParams, ctx: CheckContext) -> str:
    """POST /predict with malformed bodies answers 4xx every time (never 2xx, never 5xx)."""
    url = f"{ctx.targets.api_url}{params.path}"
    codes: list[int] = []
    with ctx.client() as client:
        for body in params.bad_bodies:
            kwargs: dict[str, Any] = (
                {"content": body, "headers": {"content-type": "application/json"}}
                if isinstance(body, str)
                else {"json": body}
            )
            response = call(ctx, client, "POST", url, **kwargs)
            codes.append(response.status_code)
            if not 400 <= response.status_code < 500:
                sent = short(body if isinstance(body, str) else json.dumps(body), 60)
                raise CheckFailed(
                    f"{params.path} answered HTTP {response.status_code} to the bad body {sent} "
                    f"(expected a 4xx): {short(response.text, 80)}"
                )
    return f"{len(codes)} bad bodies → HTTP {', '.join(map(str, codes))}"


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
