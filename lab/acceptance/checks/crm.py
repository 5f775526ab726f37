"""Checks of the CRM integration: the API's segment update and the CRM record it leaves."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from lab.acceptance.checks._base import CheckContext, CheckFailed, Params, short
from lab.acceptance.checks._http import call, json_of
from lab.acceptance.checks.kinds import CHECK_KINDS
from lab.ids import CUSTOMER_ID_PATTERN


class UpdateParams(Params):
    path: str = "/crm_segment_update"
    customer_id: str = Field("CUST_TEST_007", pattern=CUSTOMER_ID_PATTERN)
    answer_field: str = "new_segment"


def segment_update(params: UpdateParams, ctx: CheckContext) -> dict[str, Any]:
    """POST the update once per run and customer; later criteria reuse the answer."""
    key = f"crm_update:{params.customer_id}"
    if key in ctx.memo:
        return ctx.memo[key]
    url = f"{ctx.targets.api_url}{params.path}"
    with ctx.client() as client:
        response = call(ctx, client, "POST", url, params={"customer_id": params.customer_id})
    body = json_of(response, f"{params.path}?customer_id={params.customer_id}")
    if not isinstance(body, dict) or not isinstance(body.get(params.answer_field), str):
        raise CheckFailed(
            f"the answer has no `{params.answer_field}` string: {short(json.dumps(body), 120)}"
        )
    ctx.memo[key] = body
    return body


@CHECK_KINDS.kind("crm_segment_update", UpdateParams)
def crm_segment_update(params: UpdateParams, ctx: CheckContext) -> str:
    """POST /crm_segment_update?customer_id=ID succeeds and names the new segment."""
    body = segment_update(params, ctx)
    return f"{params.customer_id} → {params.answer_field} {body[params.answer_field]!r}"


class RecordParams(UpdateParams):
    record_path: str = "/customers/{customer_id}"
    record_field: str = "segment"


@CHECK_KINDS.kind("crm_record", RecordParams)
def crm_record(params: RecordParams, ctx: CheckContext) -> str:
    """After the update, the CRM's record of the customer holds the segment the API returned."""
    try:
        expected = segment_update(params, ctx)[params.answer_field]
    except CheckFailed as exc:
        raise CheckFailed(f"nothing to compare, the segment update failed: {exc}") from None
    url = ctx.targets.crm_url + params.record_path.format(customer_id=params.customer_id)
    with ctx.client() as client:
        response = call(ctx, client, "GET", url)
        if response.status_code == 401 and ctx.settings.CRM_TOKEN:
            auth = {"authorization": f"Bearer {ctx.settings.CRM_TOKEN}"}
            response = call(ctx, client, "GET", url, headers=auth)
    record = json_of(response, f"CRM record {params.customer_id}")
    actual = record.get(params.record_field) if isinstance(record, dict) else None
    if actual != expected:
        raise CheckFailed(
            f"the API answered {params.answer_field} {expected!r} but the CRM record holds "
            f"{params.record_field} {actual!r}"
        )
    return f"CRM {params.customer_id}: {params.record_field} {actual!r} (as the API answered)"
