"""The CRM's wire format: what its endpoints accept and answer (JSON, also used by the client)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

from lab.crm.ids import REQUEST_ID_PATTERN, SEGMENT_PATTERN
from lab.ids import CUSTOMER_ID_PATTERN, MODEL_VERSION_PATTERN

# StringConstraints (not Field(pattern=...)): Litestar puts only these patterns in the OpenAPI.
CustomerId = Annotated[
    str, StringConstraints(pattern=CUSTOMER_ID_PATTERN), Field(examples=["CUST_TEST_007"])
]
SegmentName = Annotated[
    str, StringConstraints(pattern=SEGMENT_PATTERN), Field(examples=["high_risk"])
]
# Strict: `false` or "0.5" is not a probability (numbers only, ints included).
Probability = Annotated[
    float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False, examples=[0.83])
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Customer(_Strict):
    """A customer and the segment the model last gave it (null until first scored)."""

    customer_id: CustomerId
    name: str
    segment: SegmentName | None = None
    model_version: str | None = None
    probability: Probability | None = None
    updated_at: str | None = Field(None, description="When the segment last changed (UTC)")
    created_at: str


class CustomerFeatures(_Strict):
    """The customer's features by name, in the model's feature order."""

    customer_id: CustomerId
    features: dict[str, float]


class SegmentUpdate(BaseModel):
    """Body of `PUT /customers/{id}/segment`. `request_id` makes the write idempotent.

    Unknown fields are ignored (the OpenAPI schema cannot say they are forbidden)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    segment: SegmentName
    model_version: Annotated[
        str, StringConstraints(pattern=MODEL_VERSION_PATTERN), Field(examples=["v1.2.0-stable"])
    ]
    probability: Probability
    request_id: Annotated[
        str,
        StringConstraints(pattern=REQUEST_ID_PATTERN),
        Field(
            description="Idempotency key: the same request_id applied twice writes once",
            examples=["3f1c2a9e0b7d4c55a1e2f3a4b5c6d7e8"],
        ),
    ]


class SegmentWrite(_Strict):
    """What a segment write did. `replayed` is true when the request_id had been applied before;
    `recorded` is false for an unchanged re-score (same segment and model version: the customer's
    probability and time are updated, no history row is added)."""

    customer_id: CustomerId
    old_segment: SegmentName | None
    segment: SegmentName
    model_version: str
    probability: Probability
    request_id: str
    updated_at: str
    replayed: bool = False
    recorded: bool = True


class HistoryEntry(_Strict):
    """One row of a customer's segment history: one per write that changed the segment or the
    model version (an unchanged re-score adds none, so the table cannot grow without bound)."""

    request_id: str
    old_segment: SegmentName | None
    segment: SegmentName
    model_version: str
    probability: Probability
    updated_at: str


class _Page(_Strict):
    total: int = Field(description="How many rows match, over all pages")
    limit: int
    offset: int


class CustomerPage(_Page):
    """A page of customers, ordered by customer_id."""

    items: list[Customer]


class HistoryPage(_Page):
    """A page of a customer's segment history, newest first."""

    customer_id: CustomerId
    items: list[HistoryEntry]


class Health(_Strict):
    status: str
    customers: int
    history_rows: int
