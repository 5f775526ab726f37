""".github/workflows/ci.yml parses, runs only tox envs that exist, and covers what it must."""

from __future__ import annotations

import configparser
import re
import subprocess

import pytest
import yaml

from tests.support import REPO, venv_tool

WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _tox_envs() -> set[str]:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(REPO / "tox.ini", encoding="utf-8")
    return {s.split(":", 1)[1] for s in ini.sections() if s.startswith("testenv:")}


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_it_parses_with_triggers_and_jobs(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert {"push", "pull_request"} <= set(triggers)
    assert {"unit", "integration", "docker"} <= set(workflow["jobs"])
    for name, job in workflow["jobs"].items():
        assert job["steps"], name
        assert "timeout-minutes" in job, f"{name} has no timeout"


def test_every_tox_env_it_runs_exists_in_tox_ini(workflow):
    named = set()
    for job in workflow["jobs"].values():
        named |= set(re.findall(r"tox -e ([\w,-]+)", _runs(job)))
    envs = {e for group in named for e in group.split(",")}
    assert envs, "the workflow runs no tox env"
    assert envs <= _tox_envs(), f"unknown tox envs: {envs - _tox_envs()}"


def test_unit_runs_on_three_operating_systems(workflow):
    job = workflow["jobs"]["unit"]
    assert set(job["strategy"]["matrix"]["os"]) == {
        "ubuntu-latest",
        "windows-latest",
        "macos-latest",
    }
    assert "tox -e unit" in _runs(job)


def test_integration_runs_on_debian_with_its_prometheus(workflow):
    job = workflow["jobs"]["integration"]
    assert job["runs-on"] == "ubuntu-latest"
    assert str(job.get("container", "")).startswith("debian")
    assert re.search(r"apt-get install[^\n]*\n?[^\n]*\bprometheus\b", _runs(job))
    assert "tox -e integration" in _runs(job)


def test_windows_runs_the_lab_up_smoke(workflow):
    job = workflow["jobs"]["windows-smoke"]
    assert job["runs-on"] == "windows-latest"
    match = re.search(r"python (\S+smoke_up\.py)", _runs(job))
    assert match and (REPO / match.group(1)).is_file()


def test_docker_job_builds_the_container_dockerfile(workflow):
    runs = _runs(workflow["jobs"]["docker"])
    match = re.search(r"docker build -f (\S+)", runs)
    assert match and (REPO / match.group(1)).is_file()
    assert "compose.yaml config" in runs


def test_it_is_valid_for_github_actions():
    """check-jsonschema ships GitHub's workflow schema: validated offline."""
    tool = venv_tool("check-jsonschema")
    result = subprocess.run(
        [tool, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
