"""`POST /predict`: one row, a batch, or one row by feature name."""

from __future__ import annotations

import re
from time import perf_counter

from litestar import Request, post
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.handlers import HTTPRouteHandler

from lab.serving import schemas
from lab.serving.metrics import ERROR, INVALID, NO_MODEL, OK, UNAVAILABLE, ServingMetrics
from lab.serving.parsing import PredictInputError, body_limit, parse
from lab.settings import Settings
from lab.web.cross_site import refuse_cross_site
from lab.web.problems import ProblemError

DESCRIPTION = """\
Scores churn with the loaded model. Send JSON (a Content-Type header is optional) with exactly
one of:

- `features`: one row, 10 numbers in the model's feature order;
- `instances`: a batch of rows (up to PREDICT_MAX_ROWS), answered as parallel arrays;
- `customer`: one row as an object keyed by feature name.

`prediction` is the class (1 = will churn, when the churn probability is above 0.5) and
`probability` the churn probability. Bad input gets a 4xx problem-details answer whose
`field` says where and `expected` what shape; with no model loaded the answer is 503.

During a rollout a share of the calls is answered by the `challenger` model (`model_version`
says which model answered). Send the optional `X-Customer-Id` header to make the choice sticky:
the same customer id always meets the same model; without it the choice is random.
"""
CUSTOMER_HEADER = b"x-customer-id"
STICKY_KEY = re.compile(schemas.STICKY_KEY_PATTERN)

Answer = schemas.Prediction | schemas.BatchPrediction


def predict_handler(settings: Settings) -> HTTPRouteHandler:
    max_rows = settings.PREDICT_MAX_ROWS
    max_bytes = body_limit(max_rows, settings.PREDICT_MAX_BODY_BYTES)
    retry_after = {"Retry-After": str(max(1, round(settings.MODEL_POLL_SECONDS)))}

    route = post(
        "/predict",
        status_code=200,
        tags=["prediction"],
        summary="Predict churn",
        description=DESCRIPTION,
        operation_class=schemas.predict_operation(max_rows),
        request_max_body_size=max_bytes,
        guards=[refuse_cross_site],  # a web page's form POST would fill metrics and drift
        responses={
            200: schemas.success(
                schemas.Prediction | schemas.BatchPrediction,
                "The prediction (one row) or predictions (batch)",
                schemas.PREDICTION_EXAMPLES,
            ),
            400: schemas.problem("The body is empty or not JSON"),
            403: schemas.problem("A web page of another origin sent it (Origin header)"),
            413: schemas.problem("The body or the batch is larger than the limits"),
            422: schemas.problem(
                "The JSON does not have the expected shape", schemas.INVALID_EXAMPLE
            ),
            503: schemas.problem("No model is loaded (the reason says why)"),
        },
    )

    async def predict(request: Request) -> Answer:
        started = perf_counter()
        state = request.app.state
        metrics: ServingMetrics = state.serving_metrics
        store = state.models
        customer_id = None
        for name, value in request.scope["headers"]:
            if name == CUSTOMER_HEADER:
                customer_id = value.decode("latin-1")
                break
        if customer_id is not None and not STICKY_KEY.match(customer_id):
            current = store.current
            metrics.observe(current.label if current else NO_MODEL, INVALID)
            raise ProblemError(
                422, f"the X-Customer-Id header {customer_id[:80]!r} is not a customer id: use "
                "1 to 64 letters, digits and . _ : @ - (or leave the header out)",
                field="X-Customer-Id", expected="X-Customer-Id: an id such as CUST_0001",
            )  # fmt: skip
        # Chosen once: a reload swaps the models, this request keeps the one it started with.
        model = store.choose(customer_id)
        version = model.label if model is not None else NO_MODEL
        try:
            parsed = parse(await request.body(), max_rows)
        except RequestEntityTooLarge:
            metrics.observe(version, INVALID)
            raise ProblemError(
                413,
                f"the body is larger than {max_bytes} bytes, the most {max_rows} rows "
                "(PREDICT_MAX_ROWS) can need (and at most PREDICT_MAX_BODY_BYTES): send smaller "
                "batches",
                field="body",
            ) from None
        except PredictInputError as exc:
            metrics.observe(version, INVALID)
            raise ProblemError(
                exc.status, exc.detail, field=exc.field, expected=exc.expected
            ) from None
        if model is None:
            metrics.observe(NO_MODEL, UNAVAILABLE)
            raise ProblemError(503, f"no model is loaded: {store.reason}", headers=retry_after)
        try:
            probability = model.predict_proba(parsed.X)
        except Exception:
            metrics.observe(version, ERROR)
            raise
        classes = (probability > 0.5).astype(int)
        prediction: Answer
        if parsed.form == "instances":
            prediction = schemas.BatchPrediction(
                predictions=classes.tolist(),
                probabilities=probability.tolist(),
                rows=len(classes),
                model_version=model.label,
                registry_version=model.registry_version,
            )
        else:
            prediction = schemas.Prediction(
                prediction=int(classes[0]),
                probability=float(probability[0]),
                model_version=model.label,
                registry_version=model.registry_version,
            )
        churn = int(classes[0]) if len(classes) == 1 else int(classes.sum())
        metrics.observe(version, OK, perf_counter() - started, len(classes), churn)
        return prediction

    return route(predict)
