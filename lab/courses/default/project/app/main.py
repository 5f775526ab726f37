"""The churn service (M2): /predict and /health, with the CRM route (M4) and /metrics (M5).

Run it with `lab up` in the workspace, or alone:
    python -m uvicorn app.main:create_app --factory --port 8000
"""

import functools
import logging
import time
import traceback
from pathlib import Path
from typing import Annotated, Any

import httpx
import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import JSONBody
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsPlugin

from app.config import Config
from app.crm import CRM_ERROR, CrmClient, crm_segment_update, load_rules
from app.metrics import Metrics, metrics_endpoint, safely
from app.model import ModelNotReady, churn_probabilities, current_model

N_FEATURES = 10
MAX_ROWS = 1000
MAX_VALUE = 1e9  # no real customer's feature is larger; 1e308 would overflow the model's maths
EXAMPLE = '{"features": [10 numbers]} or {"rows": [[10 numbers], ...]}'
log = logging.getLogger("app")


@functools.cache
def predict_body() -> Any:
    """The schema of a /predict body: a msgspec Struct, built on the first call, then reused.
    (Its annotations are real types, so this module does not use `from __future__ import
    annotations`.)"""
    # BEGIN SOLUTION M2.reject: write the body's msgspec schema: `features` (10 numbers within ±MAX_VALUE) or `rows` (1 to MAX_ROWS of them), no other field
    # HINT: a `msgspec.Struct` subclass is the schema; `Annotated[float, msgspec.Meta(ge=..., le=...)]` bounds a number and `msgspec.Meta(min_length=..., max_length=...)` a list; `forbid_unknown_fields=True` refuses extra keys.
    # HINT zh-TW: 繼承 `msgspec.Struct` 的類別就是結構描述；`Annotated[float, msgspec.Meta(ge=..., le=...)]` 限制數字範圍，`msgspec.Meta(min_length=..., max_length=...)` 限制清單長度；`forbid_unknown_fields=True` 拒絕多餘的鍵。
    number = Annotated[float, msgspec.Meta(ge=-MAX_VALUE, le=MAX_VALUE)]
    row = Annotated[list[number], msgspec.Meta(min_length=N_FEATURES, max_length=N_FEATURES)]

    class PredictBody(msgspec.Struct, forbid_unknown_fields=True):
        features: row | None = None
        rows: Annotated[list[row], msgspec.Meta(min_length=1, max_length=MAX_ROWS)] | None = None

    return PredictBody
    # END SOLUTION


def parse_rows(data: Any) -> list[list[float]]:
    """The rows of a /predict body: {"features": [10 numbers]} or {"rows": [[10 numbers], ...]},
    checked against the schema; anything else is a 400 whose message says what is wrong."""
    # BEGIN SOLUTION M2.reject: convert the body with the schema; a body that does not fit is a ValidationException (400) that says why
    # HINT: `msgspec.convert(data, Schema)` checks a decoded body against the schema and raises `msgspec.ValidationError` whose message names the field, e.g. `Expected `array` of length 10 - at `$.features``; re-raise it as `litestar.exceptions.ValidationException(message)`, which Litestar answers as a 400 problem.
    # HINT zh-TW: `msgspec.convert(data, Schema)` 依結構描述檢查已解碼的內容，失敗時拋出 `msgspec.ValidationError`，訊息會指出欄位（例如 `Expected `array` of length 10 - at `$.features``）；再以 `litestar.exceptions.ValidationException(message)` 拋出，Litestar 會回 400 問題。
    try:
        body = msgspec.convert(data, predict_body())
    except msgspec.ValidationError as exc:
        raise ValidationException(f"{exc}; send {EXAMPLE}") from None
    if (body.features is None) == (body.rows is None):
        raise ValidationException(f"send one of `features` or `rows`, e.g. {EXAMPLE}")
    return [body.features] if body.features is not None else body.rows
    # END SOLUTION


@post("/predict", status_code=200)
async def predict(data: JSONBody[Any], state: State) -> dict[str, Any]:
    """Churn prediction for one row (`features`) or a batch (`rows`)."""
    version, elapsed = "none", None
    try:
        rows = parse_rows(data)
        # BEGIN SOLUTION M2.predict: predict every row with the served model; answer prediction, churn_probability and model_version
        # HINT: `churn_probabilities(loaded, rows)` wraps `model.predict_proba(rows)[:, 1]`; time only the model with `time.perf_counter()` so M5's histogram measures the model, not the request.
        # HINT zh-TW: `churn_probabilities(loaded, rows)` 包裝了 `model.predict_proba(rows)[:, 1]`；只用 `time.perf_counter()` 計時模型本身，M5 的直方圖才量到模型而不是整個請求。
        loaded = await current_model(state)
        version = loaded.version
        started = time.perf_counter()
        probabilities = churn_probabilities(loaded, rows)
        elapsed = time.perf_counter() - started
        results = [
            {"prediction": int(p >= 0.5), "churn_probability": round(p, 4)} for p in probabilities
        ]
        # END SOLUTION
    finally:
        safely(state.metrics.observe_prediction, version, elapsed)
    if isinstance(data, dict) and "features" in data:
        return {**results[0], "model_version": version}
    return {"predictions": results, "model_version": version}


@get("/health")
async def health(state: State) -> dict[str, Any]:
    """Whether a model is loaded, which one, from where, and why not."""
    # BEGIN SOLUTION M2.health: answer model_loaded, model_version and model_source, or why no model is loaded
    # HINT: catch `ModelNotReady` from `current_model(state)` and answer 200 with `model_loaded: false` and its message as `reason`: the service is alive, just not ready.
    # HINT zh-TW: 攔截 `current_model(state)` 拋出的 `ModelNotReady`，回 200 並附 `model_loaded: false` 與其訊息作為 `reason`：服務活著，只是尚未就緒。
    try:
        loaded = await current_model(state)
    except ModelNotReady as exc:
        safely(state.metrics.observe_model, None)
        return {"status": "degraded", "model_loaded": False, "reason": str(exc)}
    safely(state.metrics.observe_model, loaded.version)
    return {
        "status": "ok",
        "model_loaded": True,
        "model_version": loaded.version,
        "model_source": str(loaded.path),
    }
    # END SOLUTION


def _problem(status: int, title: str, detail: str) -> Response[dict[str, Any]]:
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail}
    return Response(body, status_code=status, media_type="application/problem+json")


def _not_ready(_request: Request[Any, Any, Any], exc: ModelNotReady) -> Response[dict[str, Any]]:
    return _problem(503, "No model loaded", str(exc))


def _todo(_request: Request[Any, Any, Any], exc: NotImplementedError) -> Response[dict[str, Any]]:
    """An exercise part not written yet: 501, the TODO it is and where (`app/crm.py:87`), so
    `lab check` names it."""
    where = todo_line(exc)
    said = f"{exc} (the TODO at {where})" if where else str(exc)
    log.warning("TODO %s", said)
    return _problem(501, "Not implemented yet", said)


def todo_line(exc: BaseException) -> str | None:
    """`file:line` (relative to the project) of the project's line that raised `exc`."""
    root = Path(__file__).resolve().parent.parent
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(root):
            return f"{path.relative_to(root).as_posix()}:{frame.lineno}"
    return None


def _crash(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Any other error: its traceback goes to the log (`lab logs api`), the answer says what
    failed and, when the CRM said no just before, what the CRM answered."""
    log.exception("%s %s failed", request.method, request.url.path)
    detail = f"{type(exc).__name__}: {exc} (the traceback is in the API's log)"
    crm_said = CRM_ERROR.get()
    if crm_said:
        detail += f"; the CRM's last error answer: {crm_said}"
    return _problem(500, "Internal server error", detail)


def create_app(
    config: Config | None = None, crm_transport: httpx.AsyncBaseTransport | None = None
) -> Litestar:
    """The app; tests pass their own config and a fake CRM transport."""
    config = config or Config.from_env()
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(name)s %(message)s")
    crm = CrmClient(config.crm_url, config.crm_token, transport=crm_transport)
    state = {
        "config": config,
        "metrics": Metrics(),
        "crm": crm,
        "segment_rules": load_rules(config.segments_file),
        "model": None,
        "model_stamp": None,
    }
    return Litestar(
        route_handlers=[predict, health, crm_segment_update, metrics_endpoint],
        state=State(state),
        on_shutdown=[crm.close],
        exception_handlers={
            ModelNotReady: _not_ready,
            NotImplementedError: _todo,
            Exception: _crash,
        },
        plugins=[ProblemDetailsPlugin(ProblemDetailsConfig(enable_for_all_http_exceptions=True))],
    )
