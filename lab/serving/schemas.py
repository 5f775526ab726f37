"""What the API answers (msgspec structs) and the OpenAPI description of what /predict accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPIMediaType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType

from lab import data
from lab.serving.parsing import MAX_ABS_VALUE
from lab.serving.split import SetBy
from lab.web.problems import MEDIA_TYPE, ProblemBody


class Prediction(msgspec.Struct):
    """One row's answer."""

    prediction: int  # the predicted class: 1 = the customer will churn
    probability: float  # the churn probability, 0 to 1
    model_version: str  # the model's label, e.g. v1.2.0-stable
    registry_version: str | None  # the MLflow registry version number


class BatchPrediction(msgspec.Struct):
    """A batch's answers, in the order of `instances`."""

    predictions: list[int]
    probabilities: list[float]
    rows: int
    model_version: str
    registry_version: str | None


Alias = Literal["champion", "challenger"]


class ModelInfo(msgspec.Struct):
    """One model the API holds."""

    alias: Alias
    model_version: str  # the label, e.g. v1.2.0-stable
    registry_version: str | None
    source: Literal["registry", "file"]
    loaded_at: str
    sha256: str
    integrity: Literal["verified", "unverified"]  # unverified: no model_sha256 tag to check
    predictor: str
    drift_measured: bool  # False: the model has no training reference to compare with


class Split(msgspec.Struct):
    """How traffic is split between the champion and the challenger."""

    challenger_share: float  # what was set (CHALLENGER_SHARE, the registry or /admin/split)
    effective_share: float  # what applies now: 0 while no challenger is loaded
    set_by: SetBy
    set_at: str
    recorded: str | None = None  # POST /admin/split: whether the registry keeps it
    #: why the split recorded in the registry is not applied (not signed by the lab), or None
    refused: str | None = None
    sticky_by: str = (
        "the X-Customer-Id header of /predict and the customer_id of /crm_segment_update; "
        "random without one"
    )


class SplitRequest(msgspec.Struct, forbid_unknown_fields=True):
    share: float


class Health(msgspec.Struct):
    status: Literal["ok", "no_model"]
    model_loaded: bool
    model_name: str
    model_version: str | None  # the label, e.g. v1.2.0-stable
    registry_version: str | None
    source: Literal["registry", "file"] | None
    loaded_at: str | None
    sha256: str | None
    predictor: str | None
    reason: str | None = None  # why no model is loaded
    last_reload_error: str | None = None  # the last failed reload (the old model kept serving)
    registry: str | None = None  # what the registry said at the last check
    checked_at: str | None = None
    models: list[ModelInfo] = msgspec.field(default_factory=list)  # champion, then challenger
    split: Split | None = None
    challenger: str | None = None  # what the registry said about the challenger alias
    challenger_error: str | None = None  # why the last challenger was refused


class ReloadAnswer(msgspec.Struct):
    outcome: Literal["reloaded", "unchanged", "failed"]
    model_loaded: bool
    model_version: str | None
    registry_version: str | None
    source: Literal["registry", "file"] | None
    reason: str | None = None
    challenger_outcome: Literal["reloaded", "unchanged", "failed", "removed"] = "unchanged"
    challenger_version: str | None = None  # the challenger's label, None without one
    challenger_reason: str | None = None


PREDICTION_EXAMPLES = {
    "one row": {
        "prediction": 1, "probability": 0.8312, "model_version": "v1.2.0-stable",
        "registry_version": "3",
    },
    "batch": {
        "predictions": [1, 0], "probabilities": [0.8312, 0.0421], "rows": 2,
        "model_version": "v1.2.0-stable", "registry_version": "3",
    },
}  # fmt: skip
INVALID_EXAMPLE = {
    "status": 422, "title": "Unprocessable Entity",
    "detail": "features must hold exactly 10 numbers", "field": "features",
    "expected": "features: an array of 10 numbers in this order: tenure_months, ...",
    "request_id": "3f2a9c1e0b7d4a55",
}  # fmt: skip


def problem(description: str, example: dict[str, Any] | None = None) -> ResponseSpec:
    return ResponseSpec(
        data_container=ProblemBody,
        description=description,
        media_type=MEDIA_TYPE,
        generate_examples=False,
        examples=[Example(summary=description, value=example)] if example else None,
    )


def success(container: Any, description: str, examples: dict[str, Any]) -> ResponseSpec:
    return ResponseSpec(
        data_container=container,
        description=description,
        generate_examples=False,
        examples=[Example(summary=k, value=v) for k, v in examples.items()],
    )


# ---- the /predict request body --------------------------------------------------------------
_number = Schema(type=OpenAPIType.NUMBER, minimum=-MAX_ABS_VALUE, maximum=MAX_ABS_VALUE)
_row = Schema(
    type=OpenAPIType.ARRAY,
    items=_number,
    min_items=data.N_FEATURES,
    max_items=data.N_FEATURES,
    description="The features in this order: " + ", ".join(data.FEATURE_NAMES),
)
_EXAMPLE_ROW = [24.0, 89.5, 5.0, 3.0, 30.0, 1.0, 2.0, 1.0, 12.5, 2.0]
REQUEST_EXAMPLES = {
    "one row": {"features": _EXAMPLE_ROW},
    "batch": {"instances": [_EXAMPLE_ROW, [60.0, 45.0, 0.0, 20.0, 2.0, 24.0, 0.0, 3.0, 35.0, 5.0]]},
    "by name": {"customer": dict(zip(data.FEATURE_NAMES, _EXAMPLE_ROW, strict=True))},
}


def _one_key(name: str, value: Schema, title: str) -> Schema:
    return Schema(
        title=title,
        type=OpenAPIType.OBJECT,
        required=[name],
        properties={name: value},
        additional_properties=False,
    )


def request_schema(max_rows: int) -> Schema:
    return Schema(
        one_of=[
            _one_key("features", _row, "One row"),
            _one_key(
                "instances",
                Schema(type=OpenAPIType.ARRAY, items=_row, min_items=1, max_items=max_rows),
                "Batch",
            ),
            _one_key(
                "customer",
                Schema(
                    type=OpenAPIType.OBJECT,
                    required=list(data.FEATURE_NAMES),
                    properties={name: _number for name in data.FEATURE_NAMES},
                    additional_properties=False,
                ),
                "One row by feature name",
            ),
        ]
    )


#: The X-Customer-Id header: the caller's own key for a customer (any system's id: an e-mail, a
#: URN), used only to make the traffic split sticky. Wider than the CRM's customer id
#: (`lab.ids.CUSTOMER_ID_PATTERN`), which it includes.
STICKY_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$"
CUSTOMER_ID_PARAMETER = Parameter(
    name="X-Customer-Id",
    param_in="header",
    required=False,
    description="Optional. During a rollout, the same customer id is always answered by the "
    "same model (champion or challenger); without it the model is chosen at random by the "
    "split. 1 to 64 letters, digits and . _ : @ -",
    schema=Schema(type=OpenAPIType.STRING, pattern=STICKY_KEY_PATTERN, max_length=64),
    examples={"customer": Example(value="CUST_0001")},
)


def predict_operation(max_rows: int) -> type[Operation]:
    """An `Operation` class whose request body is the JSON above (the handler reads raw bytes)."""

    @dataclass
    class PredictOperation(Operation):
        def __post_init__(self) -> None:
            self.parameters = [CUSTOMER_ID_PARAMETER, *(self.parameters or [])]
            self.request_body = RequestBody(
                required=True,
                description="JSON, with or without a Content-Type header. Exactly one of "
                f"`features`, `instances` (1 to {max_rows} rows) or `customer`.",
                content={
                    "application/json": OpenAPIMediaType(
                        schema=request_schema(max_rows),
                        examples={
                            k: Example(summary=k, value=v) for k, v in REQUEST_EXAMPLES.items()
                        },
                    )
                },
            )

    return PredictOperation


def split_operation() -> type[Operation]:
    """The /admin/split operation: a JSON body `{"share": 0..1}` (the handler reads raw bytes)."""

    @dataclass
    class SplitOperation(Operation):
        def __post_init__(self) -> None:
            share = Schema(
                type=OpenAPIType.NUMBER, minimum=0, maximum=1,
                description="Share of traffic for the challenger: 0 (none) to 1 (all)",
            )  # fmt: skip
            self.request_body = RequestBody(
                required=True,
                content={
                    "application/json": OpenAPIMediaType(
                        schema=_one_key("share", share, "Split"),
                        examples={"ten percent": Example(value={"share": 0.1})},
                    )
                },
            )

    return SplitOperation
