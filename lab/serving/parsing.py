"""Turning a /predict body into a float64 matrix, or a precise 4xx that says how to fix it.

The body is read as JSON whatever its Content-Type (`curl -d` sends form encoding by default).
msgspec decodes straight into fixed-width tuples (a 10,000-row batch in a few milliseconds), then
numpy checks the value range in one pass.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import msgspec
import numpy as np

from lab.data import FEATURE_NAMES, N_FEATURES

#: Feature values are plain measurements; anything larger is a unit or parsing mistake.
MAX_ABS_VALUE = 1e9
_LIMIT = "±1e9"
Form = Literal["features", "instances", "customer"]

if TYPE_CHECKING:
    Row = tuple[float, ...]
else:  # msgspec checks the length: exactly N_FEATURES numbers
    Row = tuple[(float,) * N_FEATURES]
Customer = msgspec.defstruct(
    "Customer", [(name, float) for name in FEATURE_NAMES], forbid_unknown_fields=True
)


class _Body(msgspec.Struct, forbid_unknown_fields=True):
    features: Row | None = None
    instances: list[Row] | None = None
    customer: Customer | None = None  # type: ignore[valid-type]


_DECODER = msgspec.json.Decoder(_Body)
_ORDER = ", ".join(FEATURE_NAMES)
EXPECTED = {
    "features": f"features: an array of {N_FEATURES} numbers in this order: {_ORDER}",
    "instances": "instances: an array of 1 to {max_rows} rows, each an array of "
    f"{N_FEATURES} numbers in this order: {_ORDER}",
    "customer": f"customer: an object with exactly these {N_FEATURES} numeric fields: {_ORDER}",
    "body": 'a JSON object with exactly one of "features" (one row), "instances" (a batch) or '
    '"customer" (one row by feature name), e.g. {"features": ['
    + ", ".join("1" * N_FEATURES)
    + "]}",
}


@dataclass
class PredictInputError(ValueError):
    """A bad /predict body: HTTP status, what is wrong, where, and the expected shape."""

    status: int
    detail: str
    field: str
    expected: str

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class Parsed:
    form: Form
    X: np.ndarray  # float64, shape (n, N_FEATURES)


#: Bytes one row of `instances` may take, generously (10 numbers of up to ~25 characters with
#: separators and indentation), and what the rest of a body may take (keys, a `customer` object).
ROW_BYTES = 400
BODY_OVERHEAD_BYTES = 4096


def body_limit(max_rows: int, max_body_bytes: int) -> int:
    """The most bytes a /predict body may have: what PREDICT_MAX_ROWS rows can need, never more
    than PREDICT_MAX_BODY_BYTES. Checked against Content-Length before a byte is read, so a huge
    body costs neither memory nor event-loop time."""
    return min(max_body_bytes, BODY_OVERHEAD_BYTES + max_rows * ROW_BYTES)


def parse(body: bytes, max_rows: int) -> Parsed:
    """The rows of a /predict body; raises `PredictInputError` for anything else."""
    if not body.strip():
        raise _error(400, "the request body is empty", "body", max_rows)
    try:
        decoded = _DECODER.decode(body)
    except msgspec.ValidationError as exc:
        raise _from_validation(str(exc), max_rows) from None
    except msgspec.DecodeError as exc:
        problem = f"the body is not valid JSON: {_json_problem(exc)}"
        raise _error(400, problem, "body", max_rows) from None
    given = [name for name in ("features", "instances", "customer") if getattr(decoded, name)]
    if len(given) != 1 and decoded.instances is not None and not decoded.instances:
        raise _error(422, "instances is empty: send at least one row", "instances", max_rows)
    if len(given) != 1:
        what = "none of them" if not given else " and ".join(given)
        raise _error(
            422, f"give exactly one of features, instances or customer (got {what})", "body",
            max_rows,
        )  # fmt: skip
    form: Form = given[0]  # type: ignore[assignment]
    if form == "features":
        X = np.array([decoded.features], dtype=np.float64)
    elif form == "customer":
        X = np.array([[getattr(decoded.customer, n) for n in FEATURE_NAMES]], dtype=np.float64)
    else:
        rows: list[Row] = decoded.instances or []
        if len(rows) > max_rows:
            raise _error(
                413, f"instances has {len(rows)} rows, more than the limit of {max_rows} "
                "(PREDICT_MAX_ROWS): split the batch", "instances", max_rows,
            )  # fmt: skip
        flat = np.fromiter(itertools.chain.from_iterable(rows), np.float64, len(rows) * N_FEATURES)
        X = flat.reshape(len(rows), N_FEATURES)
    _check_range(X, form, max_rows)
    return Parsed(form=form, X=X)


def _check_range(X: np.ndarray, form: Form, max_rows: int) -> None:
    if np.abs(X).max() <= MAX_ABS_VALUE:  # False for NaN too
        return
    bad = ~(np.abs(X) <= MAX_ABS_VALUE)
    row, col = (int(i) for i in np.argwhere(bad)[0])
    where = {
        "features": f"features[{col}]",
        "instances": f"instances[{row}][{col}]",
        "customer": f"customer.{FEATURE_NAMES[col]}",
    }[form]
    raise _error(
        422, f"{where} ({FEATURE_NAMES[col]}) is {float(X[row, col])!r}: feature values "
        f"must be finite numbers within {_LIMIT}", where, max_rows,
    )  # fmt: skip


_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$\.?(?P<path>[^`]*)`)?$", re.S)
_REWORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Expected `array` of length (\d+)"), "must hold exactly {0} numbers"),
    (re.compile(r"Expected `float`, got `(\w+)`"), "must be a number, not {type}"),
    (re.compile(r"Expected `array(?: \| null)?`, got `(\w+)`"), "must be an array, not {type}"),
    (re.compile(r"Expected `object(?: \| null)?`, got `(\w+)`"), "must be an object, not {type}"),
    (re.compile(r"Number out of range"), f"is out of range: use a number within {_LIMIT}"),
    (re.compile(r"Object missing required field `(.*)`"), "is missing the field `{0}`"),
    (re.compile(r"Object contains unknown field `(.*)`"), "has an unknown field `{0}`"),
)
_TYPES = {"str": "a string", "bool": "true/false", "null": "null", "int": "an integer"}


def _from_validation(message: str, max_rows: int) -> PredictInputError:
    match = _AT.match(message)
    text, path = (match["msg"], match["path"] or "") if match else (message, "")
    for pattern, template in _REWORDS:
        if found := pattern.search(text):
            kind = found.group(1) if found.groups() else ""
            text = template.format(*found.groups(), type=_TYPES.get(kind, f"a JSON {kind}"))
            break
    return _error(422, f"{path or 'the body'} {text}", path or "body", max_rows)


def _error(status: int, detail: str, field: str, max_rows: int) -> PredictInputError:
    top = re.split(r"[.\[]", field, maxsplit=1)[0]
    expected = EXPECTED.get(top, EXPECTED["body"]).replace("{max_rows}", str(max_rows))
    return PredictInputError(status=status, detail=detail, field=field, expected=expected)


def _json_problem(exc: msgspec.DecodeError) -> str:
    return str(exc).removeprefix("JSON is malformed: ").replace("Input data", "the body")
