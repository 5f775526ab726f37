"""`create_app(settings)`: the built-in CRM, a small Litestar service over a SQLite (WAL) store.

The store opens (and seeds itself once, deterministically) in the app's lifespan and closes
with it. Errors are RFC 9457 problem details; OpenAPI is at `/schema`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.pydantic import PydanticPlugin

from lab import __version__
from lab.crm.ids import InvalidIdError
from lab.crm.metrics import CrmMetrics, metrics_endpoint
from lab.crm.routes import CustomerController, health
from lab.crm.runtime import CrmRuntime
from lab.crm.store import CustomerNotFoundError, CustomerStore, RequestIdConflictError
from lab.settings import Settings, secret_problem
from lab.web import problems
from lab.web.http_metrics import prometheus_config
from lab.web.json_body import JsonRequest
from lab.web.problems import ProblemError
from lab.web.request_id import request_id_middleware

MAX_BODY_BYTES = 64 * 1024
CHECKPOINT_SECONDS = 1.0
log = logging.getLogger("lab.crm")


class CrmConfigError(ValueError):
    """The CRM cannot start with these settings; the message says how to fix them."""


def create_app(settings: Settings) -> Litestar:
    if not settings.CRM_TOKEN:
        raise CrmConfigError(
            "CRM_TOKEN is empty: run `lab init` to write .env with a generated token "
            "(or set CRM_TOKEN in the environment)"
        )
    problem = secret_problem("CRM_TOKEN", settings.CRM_TOKEN)
    if problem:
        raise CrmConfigError(problem)
    crm = CrmRuntime(CrmMetrics())

    @asynccontextmanager
    async def open_store(_app: Litestar) -> AsyncIterator[None]:
        store = CustomerStore.open(
            settings.crm_db_path, seed_count=settings.CRM_SEED_CUSTOMERS,
            background_checkpoints=True,
        )  # fmt: skip
        crm.open(store)
        checkpoints = asyncio.create_task(checkpoint_forever(store), name="crm-checkpoints")
        try:
            yield
        finally:
            checkpoints.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await checkpoints
            crm.close()

    return Litestar(
        route_handlers=[CustomerController, health, metrics_endpoint],
        dependencies={"crm": Provide(crm.provide, sync_to_thread=False)},
        state=State({"crm_token": settings.CRM_TOKEN, "crm": crm}),
        lifespan=[open_store],
        # per-route request counts and durations: crm_requests_total, ... by route template
        middleware=[
            request_id_middleware,  # X-Request-ID, in the log and in every problem's body
            prometheus_config("crm", exclude_unhandled_paths=True).middleware,
        ],
        # validate_strict: `false` or "0.5" is not a probability (Litestar's default is lax)
        plugins=[problems.plugin(errors=ERRORS), PydanticPlugin(validate_strict=True)],
        openapi_config=OpenAPIConfig(
            title="mlops-lab CRM",
            version=__version__,
            description="The lab's built-in CRM: customers, their features and segments.",
            path="/schema",
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", description="CRM_TOKEN")
                }
            ),
        ),
        request_max_body_size=MAX_BODY_BYTES,
        request_class=JsonRequest,  # too deep a JSON body: 400, not a RecursionError
        logging_config=None,
        exception_handlers=problems.unexpected_handlers(
            "CRM"
        ),  # logged 500, no traceback in the answer
    )


async def checkpoint_forever(store: CustomerStore, every: float = CHECKPOINT_SECONDS) -> None:
    """Checkpoint the WAL from a worker thread every `every` seconds, so writes never wait."""
    while True:
        await asyncio.sleep(every)
        try:
            await anyio.to_thread.run_sync(store.checkpoint)
        except sqlite3.Error:
            log.exception("WAL checkpoint failed; retrying in %s s", every)


#: the CRM's own errors as problem details (lab.web.problems: each carries the request id)
ERRORS: problems.ErrorMap = {
    InvalidIdError: lambda exc: ProblemError(400, str(exc), title="Invalid id"),
    CustomerNotFoundError: lambda exc: ProblemError(
        404, f"no customer {exc.customer_id!r} in the CRM; list them with GET /customers",
        title="Customer not found",
    ),
    RequestIdConflictError: lambda exc: ProblemError(409, str(exc), title="request_id reused"),
    ValidationException: lambda exc: _validation_problem(exc),
    sqlite3.OperationalError: lambda exc: ProblemError(
        503, f"the CRM database is busy ({exc}); retry shortly", title="CRM database busy",
        headers={"Retry-After": "1"},
    ),
}  # fmt: skip


def _validation_problem(exc: HTTPException) -> ProblemError:
    errors = exc.extra if isinstance(exc.extra, list) else []
    parts = [f"{e.get('key', '?')}: {e.get('message', '')}" for e in errors if isinstance(e, dict)]
    detail = "; ".join(parts) or exc.detail
    return ProblemError(400, detail, title="Invalid request", errors=errors)
