"""`lab check --project-dir` grades the project, never the grader's own lab.

A project with no Procfile that keeps no model, beside a running API (a real process that
answers /health with 404), graded while the grader's own LAB_HOME (holding a valid model and
manifest) is exported: M2.up and M3.model_file fail with what was seen. The same project with
its model under app/models/ (where the course's README keeps it) passes M3.model_file there.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import free_port, lab_env, wait_until

pytestmark = pytest.mark.integration


def model_with_manifest(models: Path) -> None:
    models.mkdir(parents=True, exist_ok=True)
    (models / "sample_model.joblib").write_bytes(b"a model")
    digest = hashlib.sha256(b"a model").hexdigest()
    (models / "sample_model.json").write_text(
        json.dumps({"file": "sample_model.joblib", "sha256": digest, "label": "v1"}), "utf-8"
    )


@pytest.fixture
def api_404(tmp_path):
    """A running server on a free port that answers 404 to /health (not the project's API)."""
    import httpx

    port = free_port()
    served = tmp_path / "served"
    served.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=served,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=1).status_code == 404
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, 20, "the http.server")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def check(project: Path, home: Path, url: str, out: Path) -> dict[str, dict]:
    env = lab_env(home)  # the grader's LAB_HOME, exported
    done = subprocess.run(
        [sys.executable, "-m", "lab", "check", "--project-dir", str(project), "-m", "M2",
         "-m", "M3", "--no-tests", "--api-url", url, "--no-service", "mlflow",
         "--json", str(out)],
        env=env, cwd=home.parent, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode in (1, 3, 4), done.stdout[-2000:] + done.stderr[-2000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    return {c["id"]: c for m in data["modules"] for c in m["criteria"]}


def test_no_procfile_and_no_model_fail_whatever_the_grader_has(tmp_path, api_404):
    home = tmp_path / "grader-home"
    model_with_manifest(home / "models")  # the grader's own lab has a good model
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n', "utf-8")
    seen = check(project, home, api_404, tmp_path / "a.json")
    up, model = seen["M2.up"], seen["M3.model_file"]
    assert up["status"] == "fail" and "no Procfile in" in up["observed"], up
    assert model["status"] == "fail", model
    assert str(project / ".lab" / "models" / "sample_model.json") in model["observed"], model
    assert str(home) not in model["observed"]
    # the project keeps its model where the course's README says: M3 looks there
    model_with_manifest(project / "app" / "models")
    (project / "Procfile").write_text("api: python -m app\n", encoding="utf-8")
    seen = check(project, home, api_404, tmp_path / "b.json")
    assert seen["M3.model_file"]["status"] == "pass", seen["M3.model_file"]
    # a Procfile now, but the API at the URL answers /health with 404: not this project's API
    assert seen["M2.up"]["status"] == "fail" and "404" in seen["M2.up"]["observed"]
