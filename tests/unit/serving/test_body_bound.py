"""/predict bodies are bounded by what PREDICT_MAX_ROWS rows can need, Content-Length first."""

from __future__ import annotations

import anyio
import msgspec
from litestar.testing import TestClient

from lab import data
from lab.serving.app import create_app
from lab.serving.parsing import ROW_BYTES, body_limit
from tests.model_files import write_model

ROW = data.generate_features(1, seed=3)[0].tolist()


def test_the_limit_follows_the_row_limit(offline) -> None:
    settings = offline(PREDICT_MAX_ROWS=10)
    write_model(settings)
    limit = body_limit(10, settings.PREDICT_MAX_BODY_BYTES)
    assert limit < 10_000 < settings.PREDICT_MAX_BODY_BYTES
    padded = msgspec.json.encode({"instances": [ROW] * 2}) + b" " * limit  # 2 rows, padded
    with TestClient(create_app(settings)) as client:
        fits = client.post("/predict", json={"instances": [ROW] * 10})
        refused = client.post(
            "/predict", content=padded, headers={"content-type": "application/json"}
        )
    assert fits.status_code == 200
    assert refused.status_code == 413
    assert f"larger than {limit} bytes" in refused.json()["detail"]
    assert "PREDICT_MAX_ROWS" in refused.json()["detail"]
    assert len(msgspec.json.encode({"instances": [[-1.2345678901234567e300] * 10]})) < ROW_BYTES


def test_an_announced_oversized_body_is_refused_before_a_byte_is_read(offline) -> None:
    """What was measured in issue 13: an 8 MB body decoded in full. Now nothing is read."""
    settings = offline(PREDICT_MAX_ROWS=10)
    app = create_app(settings)
    reads: list[int] = []
    sent: list[dict] = []

    async def receive() -> dict:
        reads.append(1)
        return {"type": "http.request", "body": b"[" * 65536, "more_body": True}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/predict", "raw_path": b"/predict", "root_path": "",
        "query_string": b"", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 5000),
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"8000000")],
    }  # fmt: skip
    anyio.run(app, scope, receive, send)
    assert sent[0]["status"] == 413
    assert reads == []
