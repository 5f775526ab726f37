"""An API on a really fitted model file; the registry is a port where nothing listens."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from litestar.testing import TestClient

from lab.serving.app import create_app
from lab.settings import Settings
from tests.model_files import write_model
from tests.support import free_port

ADMIN = {"Authorization": "Bearer test-admin-token"}


@pytest.fixture
def offline(settings_factory) -> Callable[..., Settings]:
    """Settings whose MLflow does not answer (connection refused), so the file is used."""

    def make(**overrides: object) -> Settings:
        values = {"MLFLOW_PORT": free_port(), "MODEL_POLL_SECONDS": 3600}
        return settings_factory(**(values | overrides))

    return make


@pytest.fixture
def settings(offline) -> Settings:
    s = offline()
    write_model(s, "v-unit")
    return s


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def no_model_client(offline) -> Iterator[TestClient]:
    with TestClient(create_app(offline())) as c:
        yield c


def metric_value(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        sample, _, value = line.rpartition(" ")
        base, _, rest = sample.partition("{")
        if base == name and all(f'{k}="{v}"' in rest for k, v in labels.items()):
            return float(value)
    return 0.0
