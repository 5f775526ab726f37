"""M6's public tests: your tests and CI are in place (what they catch is graded by `lab check`)."""

from __future__ import annotations

import ast
import tomllib

import pytest
import yaml

from tests.public.conftest import ROOT

pytestmark = pytest.mark.M6


def _functions(path: str) -> list[ast.FunctionDef]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]


def _todo(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "NotImplementedError" for n in ast.walk(node))


def test_the_service_tests_are_written() -> None:
    tests = _functions("tests/test_service.py")
    assert len(tests) >= 5, "tests/test_service.py has fewer than 5 tests"
    todo = [t.name for t in tests if _todo(t)]
    assert not todo, f"still TODO: {todo}"


def test_the_integration_tests_are_marked_and_left_out_by_default() -> None:
    source = (ROOT / "tests" / "test_integration.py").read_text(encoding="utf-8")
    assert "pytestmark = pytest.mark.integration" in source
    assert not [t.name for t in _functions("tests/test_integration.py") if _todo(t)]
    pytest_ini = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    options = pytest_ini.get("tool", {}).get("pytest", {}).get("ini_options", {})
    assert any("integration" in m for m in options.get("markers", [])), "marker not registered"
    assert "not integration" in options.get("addopts", ""), "integration tests run by default"


def test_ci_installs_tests_and_builds() -> None:
    doc = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text("utf-8"))
    runs = " ".join(
        str(step.get("run", "")) for job in doc["jobs"].values() for step in job.get("steps", [])
    )
    assert "pytest" in runs or "tox" in runs, "the workflow runs no tests"
    assert "docker build" in runs, "the workflow builds no image"
