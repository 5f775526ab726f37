"""schemathesis (`--checks all`) against the CRM's and the flow's own OpenAPI documents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lab.settings import load_settings
from tests.model_files import write_model
from tests.support import IN_CI, free_port, lab_env, lab_process

pytestmark = pytest.mark.integration


def schemathesis(url: str, cwd: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/schema/openapi.json",
         "--checks", "all", "--max-examples", "40", "--seed", "42",
         "--generation-database", "none", *extra],
        capture_output=True, text=True, timeout=600, cwd=cwd,
    )  # fmt: skip


def test_crm_and_flow_survive_schemathesis(lab_home: Path, tmp_path: Path) -> None:
    if not IN_CI:  # under CI a missing test dependency is a failure
        pytest.importorskip("schemathesis")
    api_port, crm_port = free_port(), free_port()
    env = lab_env(
        lab_home, API_PORT=api_port, CRM_PORT=crm_port, MLFLOW_PORT=free_port(),
        CRM_SEED_CUSTOMERS=30, MODEL_POLL_SECONDS=3600,
    )  # fmt: skip
    write_model(load_settings(env_file=lab_home / "no.env", LAB_HOME=lab_home), "v-schema")
    crm_url, api_url = f"http://127.0.0.1:{crm_port}", f"http://127.0.0.1:{api_port}"
    with (
        lab_process(["crm"], env, lab_home / "crm.log") as crm,
        lab_process(["serve"], env, lab_home / "api.log") as api,
    ):
        crm.wait_healthy(f"{crm_url}/health", timeout=120)
        api.wait_healthy(f"{api_url}/health", timeout=120)
        on_crm = schemathesis(crm_url, tmp_path, "-H", "Authorization: Bearer test-crm-token-0000")
        on_flow = schemathesis(api_url, tmp_path, "--include-path-regex", "^/crm_segment_update$")
    assert on_crm.returncode == 0, on_crm.stdout[-6000:] + on_crm.stderr[-2000:]
    assert "Tested: 6" in on_crm.stdout
    assert on_flow.returncode == 0, on_flow.stdout[-6000:] + on_flow.stderr[-2000:]
    assert "Tested: 1" in on_flow.stdout
    assert "Traceback" not in crm.log() + api.log()
