"""The lab's CRM client: one pooled `httpx.AsyncClient`, timeouts and retries from settings.

Open one per app (in its lifespan) and share it: every call reuses pooled keep-alive
connections, where the seed opened a new client (two TCP handshakes) per request. Reads and
the idempotent segment write are retried with exponential backoff; what still fails is raised
as a `lab.crm.errors.CrmError` whose `status` is the HTTP status the caller should answer.
"""

from __future__ import annotations

import asyncio
import functools
import math
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import httpx
import msgspec
from pydantic import BaseModel, ValidationError

from lab.crm.errors import (
    CrmBadGatewayError,
    CrmConflictError,
    CrmError,
    CrmNotFoundError,
    CrmTimeoutError,
    CrmUnavailableError,
)
from lab.crm.ids import check_customer_id
from lab.crm.schemas import Customer, CustomerPage, SegmentUpdate, SegmentWrite
from lab.crm.slots import CallSlots, CrmStalled
from lab.crm.transport import CrmHttpClient, CrmTransport
from lab.data import FEATURE_NAMES
from lab.settings import Settings

#: Called after every CRM call with (operation, seconds, outcome) — e.g. to feed a histogram.
CallObserver = Callable[[str, float, str], None]

#: A call waiting for a connection slot fails with 503 once the CRM answered none of the calls
#: in flight for this long, in seconds (lab.crm.slots); while it answers, calls wait their turn.
STALL_TIMEOUT = 30.0
BACKOFF_BASE = 0.1
BACKOFF_MAX = 2.0
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
#: Parsed URLs kept per client (a URL costs ~20 µs to parse; one customer needs two).
URL_CACHE_SIZE = 4096
_M = TypeVar("_M", bound=BaseModel)


class CrmClient:
    """Talks to the CRM at `settings.crm_url`. Use as `async with CrmClient(settings) as crm:`."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        observe: CallObserver | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ):
        self.base_url = settings.crm_url
        self.retries = settings.CRM_RETRIES
        self._read_timeout = settings.CRM_READ_TIMEOUT
        self._write_headers = {
            "authorization": f"Bearer {settings.CRM_TOKEN}", "content-type": "application/json"
        }  # fmt: skip
        self._observe = observe
        self._sleep = sleep
        timeout = httpx.Timeout(
            connect=settings.CRM_CONNECT_TIMEOUT,
            read=settings.CRM_READ_TIMEOUT,
            write=settings.CRM_READ_TIMEOUT,
            pool=settings.CRM_CONNECT_TIMEOUT,  # never waited on: see _request
        )
        in_flight = settings.CRM_MAX_IN_FLIGHT
        self._slots = CallSlots(in_flight, STALL_TIMEOUT)
        limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
        self._url = functools.lru_cache(URL_CACHE_SIZE)(lambda p: httpx.URL(self.base_url + p))
        self._http = CrmHttpClient(
            base_url=self.base_url,
            timeout=timeout,
            limits=limits,
            headers={"accept": "application/json", "user-agent": "mlops-lab-crm-client"},
            transport=transport or _transport(settings, limits),
        )

    async def __aenter__(self) -> CrmClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- the CRM's API --------------------------------------------------------------------
    async def get_customer(self, customer_id: str) -> Customer:
        url = self._url(f"/customers/{check_customer_id(customer_id)}")
        body = await self._call("get_customer", "GET", url, customer_id=customer_id)
        return _parse(Customer, body, "get_customer", self.base_url)

    async def get_features(self, customer_id: str) -> list[float]:
        """The customer's features as numbers in `FEATURE_NAMES` order (checked: 502 if not)."""
        url = self._url(f"/customers/{check_customer_id(customer_id)}/features")
        body = await self._call("get_features", "GET", url, customer_id=customer_id)
        return feature_vector(body, customer_id, self.base_url)

    async def put_segment(self, customer_id: str, update: SegmentUpdate) -> SegmentWrite:
        url = self._url(f"/customers/{check_customer_id(customer_id)}/segment")
        body = await self._call(
            "put_segment", "PUT", url, customer_id=customer_id,
            content=update.model_dump_json(), headers=self._write_headers,
        )  # fmt: skip
        return _parse(SegmentWrite, body, "put_segment", self.base_url)

    async def list_customers(
        self, *, segment: str | None = None, limit: int = 1000, offset: int = 0
    ) -> CustomerPage:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if segment is not None:
            params["segment"] = segment
        body = await self._call("list_customers", "GET", "/customers", params=params)
        return _parse(CustomerPage, body, "list_customers", self.base_url)

    async def iter_customers(self, *, page_size: int = 1000) -> AsyncIterator[Customer]:
        """Every customer, page by page."""
        offset = 0
        while True:
            page = await self.list_customers(limit=page_size, offset=offset)
            for customer in page.items:
                yield customer
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    # ---- one call, with retries and error mapping -----------------------------------------
    async def _call(
        self, operation: str, method: str, path: str | httpx.URL, *, customer_id: str | None = None,
        **kwargs: Any,
    ) -> Any:  # fmt: skip
        started = time.perf_counter()
        outcome = "success"
        try:
            response = await self._send_with_retries(operation, method, path, **kwargs)
            return self._decode(operation, response, customer_id)
        except CrmError as exc:
            outcome = exc.outcome
            raise
        finally:
            if self._observe is not None:
                self._observe(operation, time.perf_counter() - started, outcome)

    async def _send_with_retries(
        self, operation: str, method: str, path: str | httpx.URL, **kwargs: Any
    ) -> httpx.Response:
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = await self._request(operation, method, path, **kwargs)
            except httpx.TransportError as exc:
                if last:
                    raise self._transport_error(operation, exc) from None
            else:
                if response.status_code not in _RETRY_STATUSES or last:
                    return response
            await self._sleep(backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _request(
        self, operation: str, method: str, path: str | httpx.URL, **kwargs: Any
    ) -> httpx.Response:
        """One request, once one of the CRM_MAX_IN_FLIGHT slots is free (lab.crm.slots: a burst
        of thousands of calls waits its turn cheaply, for as long as the CRM keeps answering)."""
        try:
            await self._slots.acquire()
        except CrmStalled as stalled:
            raise CrmUnavailableError(
                f"the CRM at {self.base_url} answered none of the {stalled.in_flight} calls in "
                f"flight for {stalled.silent_for:.3g} s ({stalled.waiting} more waiting): it is "
                "stuck or overloaded; retry shortly, and see the CRM's log",
                operation=operation,
            ) from None
        answered = False
        try:
            response = await self._http.request(method, path, **kwargs)
            answered = True
            return response
        finally:
            self._slots.release(answered=answered)

    def _transport_error(self, operation: str, exc: httpx.TransportError) -> CrmError:
        tries = f"after {self.retries + 1} attempt{'s' if self.retries else ''}"
        if isinstance(exc, httpx.ConnectError):
            return CrmUnavailableError(
                f"cannot connect to the CRM at {self.base_url} ({tries}): is it running? "
                "Start it with `lab crm` (or the whole lab with `lab up`), or fix CRM_URL",
                operation=operation,
            )
        if isinstance(exc, httpx.TimeoutException):
            return CrmTimeoutError(
                f"the CRM at {self.base_url} did not answer {operation} in time ({tries}; "
                f"CRM_CONNECT_TIMEOUT / CRM_READ_TIMEOUT={self._read_timeout:g}s)",
                operation=operation,
            )
        return CrmBadGatewayError(
            f"the connection to the CRM at {self.base_url} broke during {operation} ({tries}): "
            f"{type(exc).__name__}",
            operation=operation,
        )

    def _decode(self, operation: str, response: httpx.Response, customer_id: str | None) -> Any:
        status = response.status_code
        if status == 404 and customer_id is not None:
            raise CrmNotFoundError(
                f"customer {customer_id!r} not found in the CRM at {self.base_url}",
                operation=operation,
            )
        if status == 409:
            raise CrmConflictError(
                f"the CRM refused the write: {_problem_detail(response)} (send a new "
                "X-Request-ID, or none, for a new update)",
                operation=operation,
            )
        if status in (401, 403):
            raise CrmBadGatewayError(
                f"the CRM at {self.base_url} rejected the token (HTTP {status}): the API and "
                "the CRM must share the same CRM_TOKEN (see .env)",
                operation=operation,
            )
        if status >= 400:
            raise CrmBadGatewayError(
                f"the CRM at {self.base_url} answered {operation} with HTTP {status}: "
                f"{_problem_detail(response)}",
                operation=operation,
            )
        try:
            return msgspec.json.decode(response.content)
        except ValueError:
            raise CrmBadGatewayError(
                f"the CRM at {self.base_url} answered {operation} with malformed JSON "
                f"({_snippet(response.text)})",
                operation=operation,
            ) from None


def _transport(settings: Settings, limits: httpx.Limits) -> httpx.AsyncBaseTransport | None:
    """The lab's own pool, or None: httpx then builds its default pool (and proxies from env)."""
    return CrmTransport(limits=limits) if settings.CRM_HTTP_TRANSPORT == "lab" else None


def backoff(attempt: int) -> float:
    """Seconds to wait before retry `attempt + 1`: exponential, capped, with jitter."""
    return min(BACKOFF_MAX, BACKOFF_BASE * 2**attempt) * random.uniform(0.5, 1.0)


def feature_vector(body: Any, customer_id: str, base_url: str = "the CRM") -> list[float]:
    """The `features` object of a CRM answer as a vector in model order; 502 on a wrong shape."""
    features = body.get("features") if isinstance(body, dict) else None
    if not isinstance(features, dict) or set(features) != set(FEATURE_NAMES):
        got = sorted(features) if isinstance(features, dict) else type(features).__name__
        raise CrmBadGatewayError(
            f"the CRM at {base_url} sent features of the wrong shape for {customer_id!r}: "
            f"expected the {len(FEATURE_NAMES)} features {list(FEATURE_NAMES)}, got {got}",
            operation="get_features",
        )
    values = [features[name] for name in FEATURE_NAMES]
    bad = [
        name
        for name, v in zip(FEATURE_NAMES, values, strict=True)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)
    ]
    if bad:
        raise CrmBadGatewayError(
            f"the CRM at {base_url} sent non-numeric or non-finite features for "
            f"{customer_id!r}: {bad}",
            operation="get_features",
        )
    return [float(v) for v in values]


def _parse(model: type[_M], body: Any, operation: str, base_url: str) -> _M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise CrmBadGatewayError(
            f"the CRM at {base_url} answered {operation} with an unexpected shape: "
            f"{exc.error_count()} problem(s), first: {exc.errors()[0]['msg']}",
            operation=operation,
        ) from None


def _problem_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return _snippet(response.text)
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return _snippet(body["detail"])
    return _snippet(response.text)


def _snippet(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
