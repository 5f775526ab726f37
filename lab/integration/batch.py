"""Batch re-score (`lab segment --all`): every CRM customer through the running API's batch
/predict, then each new segment written back to the CRM.

Per chunk of customers: read their features from the CRM (concurrently, pooled client), score
them in one `POST /predict {"instances": [...]}`, map each probability to a segment with the
same rules as the API, and write the segments (concurrently). Each write's request id is
`<run id>-<customer id>`, so re-running a crashed batch with `--run-id` never doubles a row.
A customer that fails (say, deleted meanwhile, or a 409 because its request id was already
used for another write) is counted as skipped and reported; the CRM or the API being down
stops the run with the reason.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from lab.crm.client import CrmClient
from lab.crm.errors import CrmConflictError, CrmError, CrmNotFoundError
from lab.crm.schemas import SegmentUpdate
from lab.integration.segments import SegmentRules
from lab.settings import Settings


class BatchError(RuntimeError):
    """The run cannot go on (the API or the CRM is down, no model); the message says why."""


@dataclass
class BatchSummary:
    run_id: str
    customers: int = 0
    written: int = 0
    unchanged: int = 0  # same segment as before
    segments: Counter[str] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)  # customer id -> reason
    model_version: str | None = None


@dataclass(frozen=True)
class BatchOptions:
    chunk_size: int = 500
    concurrency: int = 16
    dry_run: bool = False
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])


class ApiScorer:
    """Batch predictions from the running serving API (`POST /predict` with `instances`)."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None):
        self.url = settings.api_url
        self._http = httpx.AsyncClient(
            base_url=self.url, timeout=httpx.Timeout(30.0, connect=5.0), transport=transport
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def score(self, rows: Sequence[Sequence[float]]) -> tuple[list[float], str]:
        """Churn probabilities of `rows`, and the model version that scored them."""
        try:
            response = await self._http.post("/predict", json={"instances": list(rows)})
        except httpx.ConnectError:
            raise BatchError(
                f"cannot connect to the API at {self.url}: start it with `lab serve` "
                "(or the whole lab with `lab up`)"
            ) from None
        except httpx.TransportError as exc:
            raise BatchError(f"the API at {self.url} failed: {type(exc).__name__}") from None
        body = _json(response)
        if response.status_code != 200:
            detail = body.get("detail") if isinstance(body, dict) else None
            raise BatchError(
                f"the API at {self.url} answered /predict with HTTP {response.status_code}: "
                f"{detail or response.text[:200]}"
            )
        try:
            probabilities = [float(p) for p in body["probabilities"]]
            version = str(body["model_version"])
        except (KeyError, TypeError, ValueError):
            raise BatchError(f"the API at {self.url} sent an unexpected batch answer") from None
        if len(probabilities) != len(rows):
            raise BatchError(f"the API scored {len(probabilities)} rows of {len(rows)}")
        return probabilities, version


async def rescore_all(
    crm: CrmClient,
    scorer: ApiScorer,
    rules: SegmentRules,
    options: BatchOptions,
    *,
    on_total: Callable[[int], None] = lambda n: None,
    on_done: Callable[[int], None] = lambda n: None,
) -> BatchSummary:
    """Re-score every customer; `on_total(n)` once the count is known, `on_done(k)` per chunk."""
    summary = BatchSummary(run_id=options.run_id)
    current = await _guard(_all_segments(crm))
    summary.customers = len(current)
    on_total(len(current))
    limit = asyncio.Semaphore(options.concurrency)
    ids = list(current)
    for start in range(0, len(ids), options.chunk_size):
        chunk = ids[start : start + options.chunk_size]
        rows = await _guard(_features(crm, chunk, limit, summary))
        if rows:
            probabilities, version = await scorer.score(list(rows.values()))
            summary.model_version = version
            updates = {
                cid: SegmentUpdate(
                    segment=rules.segment_for(p), model_version=version, probability=p,
                    request_id=f"{options.run_id}-{cid}",
                )
                for cid, p in zip(rows, probabilities, strict=True)
            }  # fmt: skip
            if not options.dry_run:
                await _guard(_write(crm, updates, limit, summary))
            for cid, update in updates.items():
                summary.segments[update.segment] += 1
                summary.unchanged += current[cid] == update.segment
        on_done(len(chunk))
    return summary


async def _all_segments(crm: CrmClient) -> dict[str, str | None]:
    return {c.customer_id: c.segment async for c in crm.iter_customers()}


async def _features(
    crm: CrmClient, ids: list[str], limit: asyncio.Semaphore, summary: BatchSummary
) -> dict[str, list[float]]:
    async def one(cid: str) -> tuple[str, list[float] | None]:
        async with limit:
            try:
                return cid, await crm.get_features(cid)
            except CrmNotFoundError as exc:  # deleted since the listing: skip it
                summary.failures[cid] = exc.detail
                return cid, None

    found = await asyncio.gather(*(one(cid) for cid in ids))
    return {cid: row for cid, row in found if row is not None}


async def _write(
    crm: CrmClient, updates: dict[str, SegmentUpdate], limit: asyncio.Semaphore,
    summary: BatchSummary,
) -> None:  # fmt: skip
    async def one(cid: str, update: SegmentUpdate) -> None:
        async with limit:
            try:
                await crm.put_segment(cid, update)
                summary.written += 1
            except CrmNotFoundError as exc:
                summary.failures[cid] = exc.detail
            except CrmConflictError as exc:  # its key was used for another write: skip it
                summary.failures[cid] = f"skipped (409): {exc.detail}"

    await asyncio.gather(*(one(cid, u) for cid, u in updates.items()))


async def _guard(call: Any) -> Any:
    """A CRM failure that is not about one customer stops the run, as a `BatchError`."""
    try:
        return await call
    except CrmError as exc:
        raise BatchError(exc.detail) from None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
