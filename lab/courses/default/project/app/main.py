"""The churn service (M2): /predict and /health, with the CRM route (M4) and /metrics (M5).

Run it with `lab up` in the workspace, or alone:
    python -m uvicorn app.main:create_app --factory --port 8000
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import httpx
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import JSONBody
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsPlugin

from app.config import Config
from app.crm import CrmClient, crm_segment_update, load_rules
from app.metrics import Metrics, metrics_endpoint, safely
from app.model import ModelNotReady, churn_probabilities, current_model

N_FEATURES = 10
MAX_ROWS = 1000
MAX_VALUE = 1e9  # no real customer's feature is larger; 1e308 would overflow the model's maths
log = logging.getLogger("app")


def parse_rows(data: Any) -> list[list[float]]:
    """The rows of a /predict body: {"features": [10 numbers]} or {"rows": [[10 numbers], ...]}."""
    # BEGIN SOLUTION M2.reject: answer a body that is not {"features": [10 numbers]} with a 4xx that says why
    if not isinstance(data, dict) or not {"features", "rows"} & data.keys():
        raise ValidationException('send {"features": [10 numbers]} or {"rows": [[...], ...]}')
    rows = data["rows"] if "rows" in data else [data["features"]]
    if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_ROWS:
        raise ValidationException(f"`rows` must be a list of 1 to {MAX_ROWS} rows")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != N_FEATURES:
            raise ValidationException(f"row {i}: expected a list of {N_FEATURES} numbers")
        for value in row:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValidationException(f"row {i}: {value!r} is not a number")
            if not math.isfinite(value) or abs(value) > MAX_VALUE:
                raise ValidationException(
                    f"row {i}: {value!r} is not a number within ±{MAX_VALUE:g}"
                )
    return [[float(v) for v in row] for row in rows]
    # END SOLUTION


@post("/predict", status_code=200)
async def predict(data: JSONBody[Any], state: State) -> dict[str, Any]:
    """Churn prediction for one row (`features`) or a batch (`rows`)."""
    version, elapsed = "none", None
    try:
        rows = parse_rows(data)
        # BEGIN SOLUTION M2.predict: predict every row with the served model; answer prediction, churn_probability and model_version
        loaded = current_model(state)
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
    if "features" in data:
        return {**results[0], "model_version": loaded.version}
    return {"predictions": results, "model_version": loaded.version}


@get("/health")
async def health(state: State) -> dict[str, Any]:
    """Whether a model is loaded, which one, from where, and why not."""
    # BEGIN SOLUTION M2.health: answer model_loaded, model_version and model_source, or why no model is loaded
    try:
        loaded = current_model(state)
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
    """An exercise part not written yet: 501, and the TODO it is, so `lab check` shows it."""
    log.warning("TODO %s", exc)
    return _problem(501, "Not implemented yet", str(exc))


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
        exception_handlers={ModelNotReady: _not_ready, NotImplementedError: _todo},
        plugins=[ProblemDetailsPlugin(ProblemDetailsConfig(enable_for_all_http_exceptions=True))],
    )
