"""Checks of the CRM integration: the API's segment update and the CRM record it leaves."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import Field

from lab.acceptance.checks import credentials
from lab.acceptance.checks._base import CheckContext, CheckFailed, Params, short
from lab.acceptance.checks._http import call, error_text, json_of, unexpected
from lab.acceptance.checks.facts import Fact
from lab.acceptance.checks.kinds import CHECK_KINDS
from lab.ids import CUSTOMER_ID_PATTERN


class UpdateParams(Params):
    path: str = "/crm_segment_update"
    customer_id: str = Field("CUST_TEST_007", pattern=CUSTOMER_ID_PATTERN)
    answer_field: str = "new_segment"


#: the API's answer to one /crm_segment_update, by customer id
SEGMENT_UPDATE: Fact[dict[str, Any]] = Fact("crm_segment_update")


def segment_update(params: UpdateParams, ctx: CheckContext) -> dict[str, Any]:
    """POST the update once per run and customer; later criteria reuse the answer.

    The request carries a fresh X-Request-ID; the id the API used (its answer header, else the
    body's `request_id`, else the one sent) is kept in the answer as `_request_id`."""
    return ctx.facts.once(SEGMENT_UPDATE, params.customer_id, lambda: _update(params, ctx))


def _update(params: UpdateParams, ctx: CheckContext) -> dict[str, Any]:
    url = f"{ctx.targets.api_url}{params.path}"
    sent = f"lab-check-{secrets.token_hex(6)}"
    with ctx.client() as client:
        response = call(
            ctx, client, "POST", url, params={"customer_id": params.customer_id},
            headers={"x-request-id": sent, **credentials.api_headers(ctx, url)},
        )  # fmt: skip
    body = json_of(response, f"{params.path}?customer_id={params.customer_id}")
    if not isinstance(body, dict) or not isinstance(body.get(params.answer_field), str):
        raise CheckFailed(
            f"the answer has no `{params.answer_field}` string: {short(json.dumps(body), 120)}"
        )
    body["_request_id"] = response.headers.get("x-request-id") or body.get("request_id") or sent
    return body


@CHECK_KINDS.kind("crm_segment_update", UpdateParams)
def crm_segment_update(params: UpdateParams, ctx: CheckContext) -> str:
    """POST /crm_segment_update?customer_id=ID succeeds and names the new segment."""
    body = segment_update(params, ctx)
    return f"{params.customer_id} → {params.answer_field} {body[params.answer_field]!r}"


class RecordParams(UpdateParams):
    record_path: str = "/customers/{customer_id}"
    history_path: str = "/customers/{customer_id}/history"
    record_field: str = "segment"


def crm_get(ctx: CheckContext, client: httpx.Client, path: str) -> httpx.Response:
    """GET a CRM path, with the bearer token when the CRM asks for one."""
    url = ctx.targets.crm_url + path
    response = call(ctx, client, "GET", url)
    auth = credentials.crm_headers(ctx, url)  # only the lab's own CRM gets CRM_TOKEN
    if response.status_code == 401 and auth:
        response = call(ctx, client, "GET", url, headers=auth)
    elif response.status_code == 401 and ctx.settings.CRM_TOKEN:
        raise CheckFailed(
            f"the CRM answered 401 to GET {url}" + credentials.withheld(ctx, "CRM_TOKEN", url)
        )
    return response


def _after_update(params: UpdateParams, ctx: CheckContext) -> dict[str, Any]:
    try:
        return segment_update(params, ctx)
    except CheckFailed as exc:
        raise CheckFailed(f"nothing to compare, the segment update failed: {exc}") from None


@CHECK_KINDS.kind("crm_record", RecordParams)
def crm_record(params: RecordParams, ctx: CheckContext) -> str:
    """After the update, the CRM record holds the segment and a history row names the model."""
    answer = _after_update(params, ctx)
    expected = answer[params.answer_field]
    cid = params.customer_id
    with ctx.client() as client:
        record = json_of(
            crm_get(ctx, client, params.record_path.format(customer_id=cid)), f"CRM record {cid}"
        )
        history = json_of(
            crm_get(ctx, client, params.history_path.format(customer_id=cid)), f"CRM history {cid}"
        )
    actual = record.get(params.record_field) if isinstance(record, dict) else None
    if actual != expected:
        raise CheckFailed(
            f"the API answered {params.answer_field} {expected!r} but the CRM record holds "
            f"{params.record_field} {actual!r}: the update was not written"
        )
    rows = history.get("items", []) if isinstance(history, dict) else []
    rid, version = answer.get("_request_id"), answer.get("model_version")
    row = next((r for r in rows if isinstance(r, dict) and r.get("request_id") == rid), None)
    row = row or next(
        (r for r in rows if isinstance(r, dict) and r.get("segment") == expected), None
    )
    if row is None:
        raise CheckFailed(f"the CRM history of {cid} has no row for this update ({len(rows)} rows)")
    if not row.get("model_version") or (version and row.get("model_version") != version):
        raise CheckFailed(
            f"the history row names model_version {row.get('model_version')!r}, "
            f"the API answered {version!r}"
        )
    return (
        f"CRM {cid}: {params.record_field} {actual!r} (as the API answered), history row "
        f"by model {row['model_version']}"
    )


class RuleParams(UpdateParams):
    rules_file: list[str] = Field(default_factory=lambda: ["config/segments.yml"])


@CHECK_KINDS.kind("segment_rule", RuleParams)
def segment_rule(params: RuleParams, ctx: CheckContext) -> str:
    """The segment the API chose is the tier the segment rules give for its probability."""
    answer = _after_update(params, ctx)
    probability = answer.get("probability")
    if not isinstance(probability, int | float):
        raise CheckFailed(f"the answer has no numeric `probability`: {short(json.dumps(answer))}")
    path = ctx.first_file(*params.rules_file) or ctx.settings.segment_rules_file
    tiers = _tiers(path)
    expected = next((name for name, floor in tiers if probability >= floor), None)
    got = answer[params.answer_field]
    if got != expected:
        raise CheckFailed(
            f"probability {probability:.3f} falls in tier {expected!r} of {path.name}, "
            f"but the API chose {got!r}"
        )
    return f"probability {probability:.3f} → {got!r}, the tier {path.name} gives"


def _tiers(path: Path) -> list[tuple[str, float]]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        tiers = [(str(t["name"]), float(t["min_probability"])) for t in doc["segments"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise CheckFailed(f"cannot read the segment rules {path}: {short(str(exc))}") from None
    return sorted(tiers, key=lambda t: t[1], reverse=True)


class BadIdParams(Params):
    path: str = "/crm_segment_update"
    unknown_id: str = Field("CUST_LAB_CHECK_NONE", pattern=CUSTOMER_ID_PATTERN)
    hostile_ids: list[str] = Field(default_factory=lambda: ["../admin", "x' OR '1'='1", "a/b?c=d"])


@CHECK_KINDS.kind("flow_rejects_bad_ids", BadIdParams)
def flow_rejects_bad_ids(params: BadIdParams, ctx: CheckContext) -> str:
    """An unknown customer id answers 404, a hostile one 400, and the CRM gains no record."""
    url = f"{ctx.targets.api_url}{params.path}"
    with ctx.client() as client:
        seen = []
        for cid, want in [(params.unknown_id, 404)] + [(h, 400) for h in params.hostile_ids]:
            response = call(ctx, client, "POST", url, params={"customer_id": cid})
            if response.status_code >= 500:
                raise unexpected(response, f"{params.path} for {cid!r}")
            if response.status_code != want:
                raise CheckFailed(
                    f"{params.path}?customer_id={cid!r} answered HTTP {response.status_code}, "
                    f"expected {want}: {error_text(response)}"
                )
            seen.append(f"{cid!r} {response.status_code}")
        after = crm_get(ctx, client, f"/customers/{params.unknown_id}")
    if after.status_code != 404:
        raise CheckFailed(
            f"after the refused updates the CRM answers {after.status_code} for "
            f"{params.unknown_id}: something was written"
        )
    return f"{', '.join(seen)}; the CRM still has no {params.unknown_id}"
