"""schemathesis against the running API's own OpenAPI document (`--checks all`)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lab.settings import load_settings
from tests.integration.serving.conftest import serving
from tests.model_files import write_model
from tests.support import IN_CI

pytestmark = pytest.mark.integration
#: Operations of this API's serving part (other routers plugged in are tested by their owners).
SERVING_PATHS = "^/(predict|health|ready|metrics|admin/reload)$"


def test_schemathesis_finds_no_failure(offline_env, tmp_path) -> None:
    if not IN_CI:  # under CI a missing test dependency is a failure (ImportError below)
        pytest.importorskip("schemathesis")
    write_model(load_settings(LAB_HOME=offline_env["LAB_HOME"]), "v-schema")
    with serving(offline_env, tmp_path / "api.log") as (_, url):
        done = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/schema/openapi.json",
             "--checks", "all", "--max-examples", "60", "--seed", "42",
             "--generation-database", "none", "--include-path-regex", SERVING_PATHS,
             "-H", "Authorization: Bearer test-admin-token"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "Tested: 5" in done.stdout
