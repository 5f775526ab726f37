"""`POST /crm_segment_update?customer_id=ID` on the serving app, as a Litestar plugin.

Plugged into the serving app by the composition root (`lab.api`) as an extension. It adds
the route, and a lifespan that opens the app's one pooled CRM client and loads the segment
rules; metrics go into the serving app's registry, so they appear on its /metrics.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from litestar import Litestar, Request, post
from litestar.config.app import AppConfig
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import Example
from litestar.params import Parameter
from litestar.plugins import InitPluginProtocol

from lab.crm.client import CrmClient
from lab.ids import CUSTOMER_ID_PATTERN
from lab.integration.flow import FlowError, SegmentUpdater, SegmentUpdateResult, usable_request_id
from lab.integration.metrics import FlowMetrics
from lab.integration.segments import SegmentRulesError, load_rules
from lab.serving.app import API_BEARER_SCHEME, ServingContext
from lab.serving.model_store import ModelUnavailable
from lab.serving.schemas import problem
from lab.settings import is_loopback
from lab.web.auth import bearer_token, require_bearer, token_matches
from lab.web.cross_site import connection_reason
from lab.web.problems import ProblemError
from lab.web.request_id import current_request_id

log = logging.getLogger("lab.integration")
RETRY_AFTER = {503: "5", 504: "5"}


class SegmentFlowPlugin(InitPluginProtocol):
    """Adds the segment-update route and the CRM client's lifespan to the serving app."""

    def __init__(self, ctx: ServingContext):
        self.ctx = ctx
        self.metrics = FlowMetrics(ctx.metrics_registry)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.append(crm_segment_update)
        app_config.lifespan.append(self.lifespan)
        return app_config

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        settings = self.ctx.settings
        try:
            rules = load_rules(settings.segment_rules_file)
        except SegmentRulesError as exc:
            log.error("segment updates are off: %s", exc)
            app.state.segment_rules_error = str(exc)
            app.state.segment_flow_metrics = self.metrics
            yield
            return
        async with CrmClient(settings, observe=self.metrics.observe_call) as crm:
            app.state.segment_updater = SegmentUpdater(
                crm,
                self.ctx.models,
                rules,
                self.metrics,
                model_errors=(ModelUnavailable,),
                key_secret=settings.CRM_TOKEN,
            )
            log.info(
                "segment updates on", extra={"crm": crm.base_url, "segments": ",".join(rules.names)}
            )
            yield


def require_api_token(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Guard: off loopback (API_HOST not 127.0.0.1/::1/localhost) the caller must send
    `Authorization: Bearer <API_TOKEN>`, since this route writes to the CRM with the API's own
    token. On loopback the course's plain `curl` keeps working, but a request a browser marks
    as coming from another origin (a web page the learner opened) needs the token too
    (`lab.web.cross_site`)."""
    settings = connection.app.state.settings
    if is_loopback(settings.API_HOST):
        _refuse_cross_site(connection, settings.API_TOKEN)
        return
    require_bearer(
        connection.headers.get("authorization", ""), settings.API_TOKEN, key="API_TOKEN",
        realm="mlops-lab api",
        off=f"the API listens on {settings.API_HOST}, beyond loopback, and API_TOKEN is not "
        "set: /crm_segment_update writes to the CRM, so it is off (run `lab init`)",
        why=f": the API listens on {settings.API_HOST}, beyond loopback",
    )  # fmt: skip


def _refuse_cross_site(connection: ASGIConnection, api_token: str) -> None:
    reason = connection_reason(connection)
    if reason is None:
        return
    given = bearer_token(connection.headers.get("authorization", ""))
    if given is not None and api_token and token_matches(given, api_token):
        return
    raise ProblemError(
        403, f"a web page cannot update the CRM through the API: {reason}. Run the update "
        "from a terminal (curl, `lab segment`), or send `Authorization: Bearer <API_TOKEN>`",
        outcome="cross_site",
    )  # fmt: skip


def plugin(ctx: ServingContext) -> SegmentFlowPlugin:
    """The extension factory `lab.serving.app.create_app(extensions=...)` takes."""
    return SegmentFlowPlugin(ctx)


@post(
    "/crm_segment_update",
    status_code=200,
    guards=[require_api_token],
    # `{}`: no credential is also a valid way in (on loopback); off loopback the guard asks.
    security=[{API_BEARER_SCHEME: []}, {}],
    tags=["crm"],
    summary="Re-score one customer and write the segment to the CRM",
    description="Reads the customer's features from the CRM, predicts the churn probability "
    "with the serving model, maps it to a segment (config/segments.yml) and writes it back "
    "(idempotent by the request id: a retry with the same X-Request-ID writes once; the CRM "
    "key is a keyed hash of it, the customer id and the API's secret). A history row is added "
    "only when the segment or the model version changes (`recorded`). When the API listens beyond "
    "loopback it needs `Authorization: Bearer <API_TOKEN>`. "
    "Errors: 400 invalid id, 404 unknown customer, 409 request id reused, 502 bad CRM answer, "
    "503 CRM or model unavailable, 504 CRM timeout.",
    responses={
        400: problem("customer_id is missing or not a valid id: the detail says what is allowed"),
        401: problem("Off loopback only: missing or wrong `Authorization: Bearer <API_TOKEN>`"),
        403: problem(
            "Off loopback: API_TOKEN is not set on the server. On loopback: a browser request "
            "from another origin (Origin / Sec-Fetch-Site) without the API_TOKEN"
        ),
        404: problem("The CRM has no customer with this id"),
        409: problem("The X-Request-ID was already used for a different update"),
        502: problem("The CRM answered with an error, malformed JSON or wrong features"),
        503: problem("The CRM is not running (the detail names its URL), or no model is loaded"),
        504: problem("The CRM did not answer within CRM_READ_TIMEOUT"),
    },
)
async def crm_segment_update(
    request: Request,
    customer_id: Annotated[
        str,
        Parameter(
            description="The customer's id, e.g. CUST_TEST_007",
            examples=[Example(value="CUST_TEST_007")],
            schema_extra={"pattern": CUSTOMER_ID_PATTERN, "maxLength": 64},
        ),
    ],
) -> SegmentUpdateResult:
    state = request.app.state  # (a `State` parameter would copy the app state per request)
    updater: SegmentUpdater | None = getattr(state, "segment_updater", None)
    if updater is None:
        reason = getattr(state, "segment_rules_error", "the segment-update flow is not ready")
        if metrics := getattr(state, "segment_flow_metrics", None):
            metrics.update("rules_invalid")
        raise ProblemError(503, f"segment updates are off: {reason}", headers={"Retry-After": "5"})
    try:
        return await updater.update(customer_id, usable_request_id(current_request_id()))
    except FlowError as exc:
        headers = {"Retry-After": RETRY_AFTER[exc.status]} if exc.status in RETRY_AFTER else None
        raise ProblemError(exc.status, exc.detail, headers=headers, outcome=exc.outcome) from None
