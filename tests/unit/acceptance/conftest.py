from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lab.acceptance import CheckContext, Targets
from tests.support import free_port


@pytest.fixture
def closed_url() -> str:
    """A URL nothing listens on (a free port, just released)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def make_ctx(settings, tmp_path: Path, closed_url: str):
    """A CheckContext over `tmp_path` as the project, every service URL closed unless given."""

    def make(**overrides) -> CheckContext:
        urls = {f.name: overrides.pop(f.name, closed_url) for f in dataclasses.fields(Targets)}
        values = {
            "settings": settings,
            "targets": Targets(**urls),
            "project_dir": tmp_path,
            "env_file": tmp_path / ".env",
            "timeout": 5.0,
        }
        values.update(overrides)
        return CheckContext(**values)

    return make
