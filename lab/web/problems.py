"""Every error as RFC 9457 problem details (`application/problem+json`), with the request id.

Litestar's problem-details plugin does the conversion; this module adds the request id, a
title for every HTTP error Litestar raises itself (404, 405, 413, query validation), and a
last-resort handler so an unexpected error is a logged 500 without a traceback in the answer.

`ProblemError` is what a handler raises; `ProblemBody` is the answer's shape, for OpenAPI.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
from litestar.types import ExceptionHandlersMap

from lab.web.request_id import current_request_id, request_id_for

log = logging.getLogger("lab.web.problems")
MEDIA_TYPE = "application/problem+json"


class ProblemBody(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details; `field` and `expected` say what to fix in a request body."""

    status: int
    title: str | None = None
    detail: str | None = None
    type: str | None = None
    instance: str | None = None
    field: str | None = None
    expected: str | None = None
    request_id: str | None = None


class ProblemError(ProblemDetailsException):
    """A problem-details error whose body also carries the request id."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(
            detail=detail,
            status_code=status_code,
            title=title or HTTPStatus(status_code).phrase,
            extra={k: v for k, v in extra.items() if v is not None} or None,
            headers=headers,
        )

    def to_response(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        response = super().to_response(request)
        rid = current_request_id()
        if rid == "-":  # raised by the router (404, 405) before the request-id middleware ran
            rid = request_id_for(request.headers.get("x-request-id", ""))
            response.headers["X-Request-ID"] = rid
        response.content["request_id"] = rid
        log.info(
            "request refused",
            extra={"status": self.status_code, "path": request.url.path, "detail": self.detail},
        )
        return response


def _from_http_exception(exc: HTTPException, defaults: Mapping[int, str]) -> ProblemError:
    code = exc.status_code
    detail = exc.detail if exc.detail and exc.detail != HTTPStatus(code).phrase else None
    fallback = defaults.get(code, HTTPStatus(code).description)
    problem = ProblemError(code, detail or fallback, headers=exc.headers)
    if isinstance(exc.extra, list) and exc.extra:
        problem.extra = {"errors": exc.extra}
    elif isinstance(exc.extra, dict) and exc.extra:
        problem.extra = exc.extra
    return problem


DEFAULT_DETAILS = {
    404: "no such endpoint: see /schema for the API's endpoints",
    405: "this method is not allowed here: the Allow header lists the ones that are",
}


def unexpected_handlers(service: str = "API") -> ExceptionHandlersMap:
    """Litestar `exception_handlers` of last resort: an unexpected error is logged (with its
    traceback, in the service's log) and answered as a 500 problem that shows none of it."""

    def unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
        log.exception("unexpected error", extra={"path": request.url.path})
        detail = (
            f"the {service} failed unexpectedly; the log line with this request_id says why "
            "(please report it)"
        )
        return ProblemError(500, detail).to_response(request)

    return {Exception: unexpected}


#: an app's own error type -> the problem it answers (`plugin(errors=...)`)
ErrorMap = Mapping[type[Exception], Callable[[Any], ProblemError]]


def plugin(
    details: Mapping[int, str] | None = None, errors: ErrorMap | None = None
) -> ProblemDetailsPlugin:
    """The problem-details plugin; `details`: the detail of a framework error, by status, where
    the status phrase would say too little (DEFAULT_DETAILS, updated by `details`); `errors`:
    how the app's own exceptions become problems (each answer carries the request id)."""
    defaults = {**DEFAULT_DETAILS, **(details or {})}

    def convert(exc: HTTPException) -> ProblemError:
        return _from_http_exception(exc, defaults)

    mapping: dict[type[Exception], Callable[[Any], ProblemDetailsException]] = {
        HTTPException: convert, **(errors or {})
    }  # fmt: skip
    return ProblemDetailsPlugin(ProblemDetailsConfig(exception_to_problem_detail_map=mapping))


EXCEPTION_HANDLERS = unexpected_handlers("API")
