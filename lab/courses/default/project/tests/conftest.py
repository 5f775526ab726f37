"""Fixtures: a small model in a temporary folder, a fake CRM, and a client of the app."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import joblib
import pytest
from litestar.testing import TestClient
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from app.config import Config
from app.main import create_app
from app.model import FEATURE_NAMES

SEGMENTS = Path(__file__).resolve().parent.parent / "config" / "segments.yml"
ROW = [12.0, 79.5, 3.0, 4.0, 21.0, 1.0, 1.0, 2.0, 14.5, 2.0]


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    X, y = make_classification(200, n_features=10, random_state=0)
    folder = tmp_path / "models"
    folder.mkdir()
    joblib.dump(LogisticRegression().fit(X, y), folder / "sample_model.joblib")
    digest = hashlib.sha256((folder / "sample_model.joblib").read_bytes()).hexdigest()
    manifest = {"label": "v-test", "file": "sample_model.joblib", "sha256": digest}
    (folder / "sample_model.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


class FakeCrm:
    """Answers the CRM's two calls and remembers every request it was sent."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.segments: dict[str, str] = {}

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        customer = request.url.path.split("/")[2]
        if request.method == "GET" and request.url.path.endswith("/features"):
            # by name, in reverse order: the app must read them in FEATURE_NAMES order
            features = dict(reversed(list(zip(FEATURE_NAMES, ROW, strict=True))))
            return httpx.Response(200, json={"customer_id": customer, "features": features})
        if request.method == "PUT" and request.url.path.endswith("/segment"):
            body = json.loads(request.content)
            old = self.segments.get(customer)
            self.segments[customer] = body["segment"]
            return httpx.Response(200, json={**body, "old_segment": old})
        return httpx.Response(404, json={"detail": "not found"})


@pytest.fixture
def fake_crm() -> FakeCrm:
    return FakeCrm()


@pytest.fixture
def client(models_dir: Path, fake_crm: FakeCrm):
    config = Config(models_dir, "http://crm.test", "test-token", SEGMENTS)
    app = create_app(config, crm_transport=httpx.MockTransport(fake_crm.handle))
    with TestClient(app) as test_client:
        yield test_client
