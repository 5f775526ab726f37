"""The course's public tests: run them any time, e.g. `python -m pytest tests/public -m M2`.

They are the course's, not yours (M6's tests are yours, in tests/): each test is marked with the
module it checks, and fails until that module's TODOs are written. They need no running lab.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from app.config import Config
from app.main import create_app
from tests.conftest import SEGMENTS, FakeCrm

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("M1", "M2", "M3", "M4", "M5", "M6")


def pytest_configure(config: pytest.Config) -> None:
    for module in MODULES:
        config.addinivalue_line("markers", f"{module}: a public test of module {module}")


class FaultyCrm(FakeCrm):
    """The fake CRM, with a fault to answer with: `down`, `slow`, `not_json`, `error`, `unknown`."""

    def __init__(self) -> None:
        super().__init__()
        self.fault: str | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.fault == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if self.fault == "slow":
            raise httpx.ReadTimeout("the CRM did not answer in time", request=request)
        if self.fault == "not_json":
            self.requests.append(request)
            return httpx.Response(200, text="<html>maintenance</html>")
        if self.fault == "error":
            self.requests.append(request)
            return httpx.Response(500, json={"detail": "the CRM broke"})
        if self.fault == "unknown":
            self.requests.append(request)
            return httpx.Response(404, json={"detail": "no such customer"})
        return super().handle(request)


@pytest.fixture
def crm() -> FaultyCrm:
    return FaultyCrm()


@pytest.fixture
def fixture_model() -> Path:
    """The course's fixture model (fixtures/model), served until M3's training writes one."""
    return ROOT / "fixtures" / "model"


@pytest.fixture
def service(tmp_path: Path, crm: FaultyCrm, fixture_model: Path) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The app, in-process, serving the fixture model, talking to the fake CRM."""
    config = Config(tmp_path / "models", "http://crm.test", "test-token", SEGMENTS,
                    fixture_dir=fixture_model)  # fmt: skip
    app = create_app(config, crm_transport=httpx.MockTransport(crm.handle))
    with TestClient(app) as client:
        yield client


def metric(client: TestClient, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    """The sum of a metric's samples (those with these labels) on /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def eventually(check: Callable[[], bool], seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
