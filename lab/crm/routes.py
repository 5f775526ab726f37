"""The CRM's HTTP endpoints. Every id is checked against its pattern before the store sees it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated

from litestar import Controller, get, put
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter

from lab.crm.ids import SEGMENT_PATTERN, check_customer_id
from lab.crm.runtime import CrmRuntime
from lab.crm.schemas import (
    Customer,
    CustomerFeatures,
    CustomerPage,
    Health,
    HistoryPage,
    SegmentUpdate,
    SegmentWrite,
)
from lab.crm.store import CustomerNotFoundError, RequestIdConflictError
from lab.ids import CUSTOMER_ID_PATTERN
from lab.web import problems as web_problems
from lab.web.auth import require_bearer
from lab.web.problems import ProblemError

log = logging.getLogger("lab.crm")

#: The app's CrmRuntime, injected by name (`dependencies={"crm": ...}` in lab.crm.app).
Crm = NamedDependency[CrmRuntime]
Limit = Annotated[int, Parameter(ge=1, le=1000, description="Page size (1-1000)")]
Offset = Annotated[int, Parameter(ge=0, le=1_000_000_000, description="Rows to skip")]
#: Documented, not validated here: `check_customer_id` gives the clearer message.
CustomerIdParam = Annotated[
    str,
    Parameter(
        description="The customer's id, e.g. CUST_TEST_007",
        schema_extra={"pattern": CUSTOMER_ID_PATTERN, "maxLength": 64},
    ),
]
_PROBLEMS = {
    400: "Invalid id, query parameter or body: the detail says what to fix",
    401: "Missing or wrong `Authorization: Bearer <CRM_TOKEN>`",
    404: "No customer with this id",
    409: "The request_id was already used for a different write",
    413: "The body is larger than 64 kB",
}


def problems(*codes: int) -> dict[int, ResponseSpec]:
    return {
        code: ResponseSpec(
            data_container=web_problems.ProblemBody,
            description=_PROBLEMS[code],
            media_type=web_problems.MEDIA_TYPE,
        )
        for code in codes
    }


async def require_token(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Guard: `Authorization: Bearer <CRM_TOKEN>`, compared in constant time (async: Litestar
    would run a sync guard in a worker thread, which made every write ~1 ms slower)."""
    try:
        require_bearer(
            connection.headers.get("authorization", ""), connection.app.state.crm_token,
            key="CRM_TOKEN", realm="crm",
        )  # fmt: skip
    except ProblemError:
        connection.app.state.crm.metrics.writes.labels("unauthorized").inc()
        raise


class CustomerController(Controller):
    path = "/customers"
    tags: Sequence[str] | None = ("customers",)

    @get(
        "/",
        summary="List customers, optionally by segment",
        responses=problems(400),
        sync_to_thread=False,
    )
    def list_customers(
        self,
        crm: Crm,
        segment: Annotated[
            str | None, Parameter(pattern=SEGMENT_PATTERN, description="Only this segment")
        ] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> CustomerPage:
        return crm.store.list(segment=segment, limit=limit, offset=offset)

    @get(
        "/{customer_id:str}",
        summary="One customer and its current segment",
        responses=problems(400, 404),
        sync_to_thread=False,
    )
    def get_customer(self, crm: Crm, customer_id: CustomerIdParam) -> Customer:
        return crm.store.get(check_customer_id(customer_id))

    @get(
        "/{customer_id:str}/features",
        summary="The customer's features, by name, in the model's order",
        responses=problems(400, 404),
        sync_to_thread=False,
    )
    def get_features(self, crm: Crm, customer_id: CustomerIdParam) -> CustomerFeatures:
        return crm.store.features(check_customer_id(customer_id))

    @put(
        "/{customer_id:str}/segment",
        summary="Set the customer's segment (idempotent by request_id; bearer token)",
        guards=[require_token],
        responses=problems(400, 401, 404, 409, 413),
        security=[{"bearer": []}],
        sync_to_thread=False,
    )
    def put_segment(
        self,
        crm: Crm,
        customer_id: CustomerIdParam,
        data: JSONBody[SegmentUpdate],
    ) -> SegmentWrite:
        customer_id = check_customer_id(customer_id)
        try:
            write = crm.store.apply(customer_id, data)
        except CustomerNotFoundError:
            crm.metrics.writes.labels("not_found").inc()
            raise
        except RequestIdConflictError:
            crm.metrics.writes.labels("conflict").inc()
            raise
        crm.metrics.writes.labels("replayed" if write.replayed else "applied").inc()
        log.info(
            "request_id=%s segment %s: %s -> %s (p=%.3f, model %s)%s",
            write.request_id, customer_id, write.old_segment, write.segment,
            write.probability, write.model_version, " [replayed]" if write.replayed else "",
        )  # fmt: skip
        return write

    @get(
        "/{customer_id:str}/history",
        summary="The customer's segment history, newest first",
        responses=problems(400, 404),
        sync_to_thread=False,
    )
    def get_history(
        self, crm: Crm, customer_id: CustomerIdParam, limit: Limit = 100, offset: Offset = 0
    ) -> HistoryPage:
        return crm.store.history(check_customer_id(customer_id), limit=limit, offset=offset)


@get("/health", tags=["service"], summary="Liveness and table sizes", sync_to_thread=False)
def health(crm: Crm) -> Health:
    store = crm.store
    customers, history = store.counts()
    # (no database path: an absolute path says who runs the lab and where, to anyone who asks)
    return Health(status="ok", customers=customers, history_rows=history)
