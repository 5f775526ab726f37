"""M1's public tests: `.env`, the declared dependencies, one-step commands (see tasks/M1.md)."""

from __future__ import annotations

import configparser
import re
import sys
import tomllib

import pytest

from tests.public.conftest import ROOT

pytestmark = pytest.mark.M1
#: what the service and the training import (the tests' tools go in the `test` extra)
IMPORTED = ("litestar", "httpx", "mlflow", "scikit-learn", "prometheus-client", "python-dotenv",
            "pyyaml", "msgspec", "joblib")  # fmt: skip
SECRETS = ("CRM_TOKEN", "ADMIN_TOKEN", "GRAFANA_ADMIN_PASSWORD")


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _dependencies() -> list[str]:
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(doc.get("project", {}).get("dependencies", []))


def test_env_file_has_every_secret_set() -> None:
    env = ROOT / ".env"
    assert env.is_file(), "no .env: write it from .env.example (`lab init`, or copy it)"
    values = dict(
        line.split("=", 1) for line in env.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )  # fmt: skip
    for key in SECRETS:
        value = values.get(key, "").strip()
        assert value and value != "<generated>", f"{key} is not set in .env"
        assert len(value) >= 16, f"{key} in .env is too short to be a secret"


def test_every_imported_library_is_declared() -> None:
    declared = {_name(r) for r in _dependencies()}
    missing = [name for name in IMPORTED if name not in declared]
    assert not missing, f"pyproject.toml [project] dependencies lacks {missing}"


def test_every_dependency_has_a_version_constraint() -> None:
    loose = [r for r in _dependencies() if not re.search(r"[<>=~]", r)]
    assert _dependencies() and not loose, f"no version constraint on {loose or 'any dependency'}"


def test_the_test_tools_are_not_runtime_dependencies() -> None:
    assert "pytest" not in {_name(r) for r in _dependencies()}, (
        "pytest is a tool of the tests: put it under [project.optional-dependencies] test"
    )


def test_training_has_a_one_step_command() -> None:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini", encoding="utf-8")
    command = tox.get("testenv:train", "commands", fallback="")
    assert "training.train" in command, "tox.ini [testenv:train] commands does not train"
    for flag in ("--n_samples", "--c_param"):
        assert flag in command, f"the training command lacks {flag}"


def test_workspace_names_the_interpreter_and_the_training_command() -> None:
    doc = tomllib.loads((ROOT / "workspace.toml").read_text(encoding="utf-8"))
    assert doc.get("commands", {}).get("train"), "workspace.toml has no [commands] train"
    venv = ROOT / ".venv"
    named = doc.get("workspace", {}).get("python")
    assert named or venv.is_dir() or sys.prefix != sys.base_prefix, (
        "no project interpreter: create .venv (`python -m venv .venv`) or name one in "
        'workspace.toml ([workspace] python = "...")'
    )
