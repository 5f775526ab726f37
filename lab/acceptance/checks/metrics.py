"""Checks that read the API's /metrics around the calls they make: the counter, the buckets."""

from __future__ import annotations

import math

from prometheus_client.parser import text_string_to_metric_families
from pydantic import Field

from lab.acceptance.checks._base import CheckContext, CheckFailed, Params, short
from lab.acceptance.checks._http import call, unexpected
from lab.acceptance.checks.api import SAMPLE_ROW
from lab.acceptance.checks.kinds import CHECK_KINDS


def scrape(ctx: CheckContext, path: str = "/metrics") -> list:
    """The metric families of the API's /metrics (a failure names what was seen)."""
    with ctx.client() as client:
        response = call(ctx, client, "GET", f"{ctx.targets.api_url}{path}")
    if response.status_code != 200:
        raise unexpected(response, path)
    try:
        return list(text_string_to_metric_families(response.text))
    except ValueError as exc:
        raise CheckFailed(f"{path} is not Prometheus text format: {short(str(exc))}") from None


def total(families: list, name: str) -> float | None:
    """Sum of a counter's samples over every label set (None: no such metric)."""
    base = name.removesuffix("_total")
    for family in families:
        if family.name in (name, base):
            return sum(s.value for s in family.samples if s.name == name)
    return None


class CounterParams(Params):
    metric: str = "prediction_requests_total"
    calls: int = Field(3, ge=1, le=50)
    path: str = "/predict"


@CHECK_KINDS.kind("counter_moves", CounterParams)
def counter_moves(params: CounterParams, ctx: CheckContext) -> str:
    """The request counter rises by exactly the number of /predict calls the check makes."""
    before = total(scrape(ctx), params.metric)
    if before is None:
        raise CheckFailed(f"/metrics has no {params.metric}")
    with ctx.client() as client:
        for _ in range(params.calls):
            response = call(
                ctx, client, "POST", f"{ctx.targets.api_url}{params.path}",
                json={"features": SAMPLE_ROW},
            )  # fmt: skip
            if not response.is_success:
                raise unexpected(response, params.path)
    after = total(scrape(ctx), params.metric) or 0.0
    moved = after - before
    if moved != params.calls:
        raise CheckFailed(
            f"{params.metric} went from {before:g} to {after:g} (+{moved:g}) over "
            f"{params.calls} calls of {params.path}; expected +{params.calls}"
        )
    return f"{params.metric} {before:g} → {after:g}: +{params.calls} for {params.calls} calls"


class BucketParams(Params):
    metric: str = "prediction_latency_seconds"
    below: float = Field(0.01, gt=0)


@CHECK_KINDS.kind("latency_buckets", BucketParams)
def latency_buckets(params: BucketParams, ctx: CheckContext) -> str:
    """The latency metric is a histogram with at least one bucket bound below `below` seconds."""
    family = next((f for f in scrape(ctx) if f.name == params.metric), None)
    if family is None:
        raise CheckFailed(f"/metrics has no {params.metric}")
    if family.type != "histogram":
        raise CheckFailed(f"{params.metric} is a {family.type}, not a histogram")
    bounds = sorted(
        {float(s.labels["le"]) for s in family.samples if s.name.endswith("_bucket")} - {math.inf}
    )
    if not bounds:
        raise CheckFailed(f"{params.metric} has no buckets (send a /predict first)")
    fine = [b for b in bounds if b < params.below]
    if not fine:
        raise CheckFailed(
            f"{params.metric}'s smallest bucket is {bounds[0]:g} s: nothing below "
            f"{params.below * 1000:g} ms, so a fast model's latency is invisible"
        )
    return f"{len(bounds)} buckets, {len(fine)} below {params.below * 1000:g} ms: {bounds[:5]}"
