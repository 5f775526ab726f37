"""The framework ceiling: a Litestar app whose POST /predict does nothing."""

from __future__ import annotations

from litestar import Litestar, get, post


@post("/predict", status_code=200, sync_to_thread=False)
def predict() -> dict[str, int]:
    return {"ok": 1}


@get("/ping", sync_to_thread=False)
def ping() -> dict[str, int]:
    return {"ok": 1}


def create_app() -> Litestar:
    return Litestar([predict, ping], logging_config=None, openapi_config=None)
