"""The CRM's HTTP endpoints. Every id is checked against its pattern before the store sees it."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, ClassVar

from litestar import Controller, get, put
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.params import Parameter

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

log = logging.getLogger("lab.crm")

Limit = Annotated[int, Parameter(ge=1, le=1000, description="Page size (1-1000)")]
Offset = Annotated[int, Parameter(ge=0, description="Rows to skip")]


async def require_token(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Guard: `Authorization: Bearer <CRM_TOKEN>`, compared in constant time (async: Litestar
    would run a sync guard in a worker thread, which made every write ~1 ms slower)."""
    expected = connection.app.state.crm_token
    scheme, _, given = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), expected):
        connection.app.state.crm.metrics.writes.labels("unauthorized").inc()
        raise NotAuthorizedException(
            detail="missing or wrong bearer token: send `Authorization: Bearer <CRM_TOKEN>` "
            "with the CRM_TOKEN from .env",
            headers={"WWW-Authenticate": 'Bearer realm="crm"'},
        )


class CustomerController(Controller):
    path = "/customers"
    tags: ClassVar[list[str]] = ["customers"]

    @get("/", summary="List customers, optionally by segment", sync_to_thread=False)
    def list_customers(
        self,
        crm: CrmRuntime,
        segment: Annotated[
            str | None, Parameter(pattern=SEGMENT_PATTERN, description="Only this segment")
        ] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> CustomerPage:
        return crm.store.list(segment=segment, limit=limit, offset=offset)

    @get("/{customer_id:str}", summary="One customer and its current segment", sync_to_thread=False)
    def get_customer(self, crm: CrmRuntime, customer_id: str) -> Customer:
        return crm.store.get(check_customer_id(customer_id))

    @get(
        "/{customer_id:str}/features",
        summary="The customer's features, by name, in the model's order",
        sync_to_thread=False,
    )
    def get_features(self, crm: CrmRuntime, customer_id: str) -> CustomerFeatures:
        return crm.store.features(check_customer_id(customer_id))

    @put(
        "/{customer_id:str}/segment",
        summary="Set the customer's segment (idempotent by request_id; bearer token)",
        guards=[require_token],
        sync_to_thread=False,
    )
    def put_segment(
        self,
        crm: CrmRuntime,
        customer_id: str,
        data: SegmentUpdate,
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
        sync_to_thread=False,
    )
    def get_history(
        self, crm: CrmRuntime, customer_id: str, limit: Limit = 100, offset: Offset = 0
    ) -> HistoryPage:
        return crm.store.history(check_customer_id(customer_id), limit=limit, offset=offset)


@get("/health", tags=["service"], summary="Liveness and table sizes", sync_to_thread=False)
def health(crm: CrmRuntime) -> Health:
    store = crm.store
    customers, history = store.counts()
    return Health(status="ok", customers=customers, history_rows=history, database=str(store.path))
