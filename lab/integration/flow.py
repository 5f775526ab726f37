"""The segment-update flow: validate the id, read features, predict, map to a segment, write back.

Each step is one log line carrying the request id, so the API log shows the flow (logfmt):

    ... request_id=ab12 msg="step 1/4 read features" customer_id=CUST_TEST_007 crm=http://...
    ... request_id=ab12 msg="step 2/4 predict" probability=0.8312 model_version=v1.2.0-stable
    ... request_id=ab12 msg="step 3/4 segment" segment=high_risk rules=.../config/segments.yml
    ... request_id=ab12 msg="step 4/4 write to CRM" old_segment=None new_segment=high_risk ...

Nothing is written unless the read and the prediction succeeded; the write is idempotent by the
request id, so the client's retries cannot add a second history row.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from lab.crm.client import CrmClient
from lab.crm.errors import CrmError
from lab.crm.ids import REQUEST_ID_PATTERN, InvalidIdError, check_customer_id
from lab.crm.schemas import SegmentUpdate
from lab.integration.metrics import FlowMetrics
from lab.integration.segments import SegmentRules

log = logging.getLogger("lab.integration.flow")
_REQUEST_ID = re.compile(REQUEST_ID_PATTERN)


class ScoringModel(Protocol):
    @property
    def label(self) -> str: ...

    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...


class ModelSource(Protocol):
    def pick(self, customer_id: str | None = None) -> ScoringModel:
        """The model that scores this customer (champion, or the challenger for its sticky
        share of customers during a rollout); raises when none is loaded (the message says why)."""


@dataclass(frozen=True)
class FlowError(Exception):
    """A failed update: the HTTP status to answer, a title, a detail and the metric outcome."""

    status: int
    title: str
    detail: str
    outcome: str
    request_id: str

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class SegmentUpdateResult:
    customer_id: str
    old_segment: str | None
    new_segment: str
    probability: float
    model_version: str
    updated_at: str
    request_id: str
    #: whether the CRM added a history row (false: same segment and model version as before)
    recorded: bool = True


CRM_KEY_PREFIX = "api:"


def crm_request_id(request_id: str, customer_id: str, secret: str) -> str:
    """The CRM idempotency key of the API's write for the caller's `request_id`.

    A keyed BLAKE2b MAC (`key=` the API's `secret`, CRM_TOKEN) over the request id and the
    customer id, in a namespace of the API's own (the `api:` prefix no other writer uses). A
    caller who knows somebody else's X-Request-ID cannot compute that write's key (it needs the
    secret), so cannot make it fail with 409; a request id sent in advance cannot block anybody
    else's write (`lab segment` uses `<run id>-<customer>`); a retry of the same request (same
    X-Request-ID, same customer) gets the same key and writes once."""
    message = f"{request_id}\x1f{customer_id}".encode()
    key = hashlib.sha256(secret.encode("utf-8")).digest()  # any length of secret fits BLAKE2b
    digest = hashlib.blake2b(message, digest_size=16, key=key, person=b"lab-api-crm-key")
    return CRM_KEY_PREFIX + digest.hexdigest()


def usable_request_id(given: str | None = None) -> str:
    """`given` (the API's request id) when the CRM accepts it as an idempotency key, else a new
    UUID (hex)."""
    if given and _REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class SegmentUpdater:
    """Runs the flow for one customer. One instance per app; `crm` is the app's pooled client."""

    def __init__(
        self,
        crm: CrmClient,
        models: ModelSource,
        rules: SegmentRules,
        metrics: FlowMetrics,
        *,
        model_errors: tuple[type[Exception], ...] = (),
        key_secret: str,
    ) -> None:
        self.crm = crm
        self._key_secret = key_secret
        self.models = models
        self.rules = rules
        self.metrics = metrics
        self._model_errors = model_errors

    async def update(self, customer_id: str, request_id: str) -> SegmentUpdateResult:
        try:
            result = await self._run(customer_id, request_id)
        except FlowError as exc:
            self.metrics.update(exc.outcome)
            raise
        self.metrics.update("success", result.new_segment)
        return result

    async def _run(self, customer_id: str, rid: str) -> SegmentUpdateResult:
        try:
            customer_id = check_customer_id(customer_id)
        except InvalidIdError as exc:
            log.warning("rejected: invalid customer_id", extra={"request_id": rid})
            raise FlowError(400, "Invalid customer_id", str(exc), "invalid_id", rid) from None

        features = await self._crm_step(1, rid, "read features", self.crm.get_features(customer_id))
        log.info(
            "step 1/4 read features",
            extra={"request_id": rid, "customer_id": customer_id, "crm": self.crm.base_url},
        )

        model, probability = self._predict(rid, features, customer_id)
        log.info(
            "step 2/4 predict",
            extra={"request_id": rid, "probability": round(probability, 4),
                   "model_version": model.label},
        )  # fmt: skip

        segment = self.rules.segment_for(probability)
        log.info(
            "step 3/4 segment",
            extra={"request_id": rid, "segment": segment, "rules": str(self.rules.source)},
        )

        update = SegmentUpdate(
            segment=segment, model_version=model.label, probability=probability,
            request_id=crm_request_id(rid, customer_id, self._key_secret),
        )  # fmt: skip
        write = await self._crm_step(
            4, rid, "write to CRM", self.crm.put_segment(customer_id, update)
        )
        log.info(
            "step 4/4 write to CRM",
            extra={"request_id": rid, "customer_id": customer_id, "old_segment": write.old_segment,
                   "new_segment": write.segment, "updated_at": write.updated_at,
                   "replayed": write.replayed, "recorded": write.recorded},
        )  # fmt: skip
        return SegmentUpdateResult(
            customer_id=customer_id,
            old_segment=write.old_segment,
            new_segment=write.segment,
            probability=probability,
            model_version=model.label,
            updated_at=write.updated_at,
            request_id=rid,
            recorded=write.recorded,
        )

    async def _crm_step(self, step: int, rid: str, what: str, call: Any) -> Any:
        try:
            return await call
        except CrmError as exc:
            log.warning(
                f"step {step}/4 {what} failed",
                extra={"request_id": rid, "status": exc.status, "reason": exc.detail},
            )
            raise FlowError(exc.status, exc.title, exc.detail, exc.outcome, rid) from None

    def _predict(
        self, rid: str, features: list[float], customer_id: str
    ) -> tuple[ScoringModel, float]:
        try:
            model = self.models.pick(customer_id)
        except self._model_errors as exc:
            log.warning(
                "step 2/4 predict failed: no model", extra={"request_id": rid, "reason": str(exc)}
            )
            raise FlowError(
                503, "No model loaded", f"no model to score with: {exc}", "model_unavailable", rid
            ) from None
        try:
            probability = float(model.predict_proba(np.asarray([features], dtype=np.float64))[0])
        except Exception as exc:
            log.exception("step 2/4 predict failed", extra={"request_id": rid})
            raise FlowError(
                503, "Prediction failed",
                f"model {model.label} could not score the customer: {type(exc).__name__}",
                "prediction_failed", rid,
            ) from None  # fmt: skip
        if not 0.0 <= probability <= 1.0:
            raise FlowError(
                503, "Prediction failed",
                f"model {model.label} gave a churn probability outside [0, 1]: {probability!r}",
                "prediction_failed", rid,
            )  # fmt: skip
        return model, probability
