"""Checks that read files: .env, imports, model + manifest, CI workflow, Dockerfile, tests."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from sklearn.dummy import DummyClassifier

from lab.acceptance.checks import CheckFailed, CheckSkipped
from lab.acceptance.checks._base import Params
from lab.acceptance.checks.files import MODEL_LABEL, EnvParams, env_file, model_files
from lab.acceptance.checks.project import (
    ContainerParams,
    WorkflowParams,
    ci_workflow,
    container_file,
    container_user,
    final_user,
)
from lab.acceptance.checks.suite import SuiteParams, failures, suite_passes, summary_line
from lab.training.manifest import Manifest, dump_model, write_manifest

GOOD_ENV = (
    "CRM_TOKEN=a1b2c3d4e5\nADMIN_TOKEN=f6g7h8i9\nGRAFANA_ADMIN_PASSWORD=k0l1m2n3\nAPI_PORT=8000\n"
)


def put(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# ---- .env -----------------------------------------------------------------------------------
EXAMPLE = (
    "CRM_TOKEN=<generated>\nADMIN_TOKEN=<generated>\nGRAFANA_ADMIN_PASSWORD=<generated>\n"
    "API_PORT=8000\n"
)


@pytest.fixture(autouse=True)
def _example(tmp_path):
    put(tmp_path, ".env.example", EXAMPLE)


def test_env_passes_with_known_keys_and_real_secrets(make_ctx, tmp_path):
    put(tmp_path, ".env", GOOD_ENV)
    observed = env_file(EnvParams(), make_ctx())
    assert "the 4 keys of .env.example, all known, settings load, 3 secrets set" in observed


def test_env_must_come_from_env_example(make_ctx, tmp_path):
    put(tmp_path, ".env", GOOD_ENV.replace("API_PORT=8000\n", ""))
    with pytest.raises(CheckFailed, match=r"lacks keys of .env.example: API_PORT"):
        env_file(EnvParams(), make_ctx())
    (tmp_path / ".env.example").unlink()
    put(tmp_path, ".env", GOOD_ENV)
    with pytest.raises(CheckFailed, match=r"no .env.example"):
        env_file(EnvParams(), make_ctx())


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (GOOD_ENV + "API_PORTT=8000\n", "unknown keys: API_PORTT"),
        (GOOD_ENV.replace("API_PORT=8000", "API_PORT=eighty"), "API_PORT"),
        (GOOD_ENV.replace("k0l1m2n3", "admin"), "GRAFANA_ADMIN_PASSWORD"),
    ],
)
def test_env_fails_naming_the_bad_key(make_ctx, tmp_path, monkeypatch, text, complaint):
    for key in ("CRM_TOKEN", "ADMIN_TOKEN", "GRAFANA_ADMIN_PASSWORD", "API_PORT"):
        monkeypatch.delenv(key, raising=False)
    put(tmp_path, ".env", text)
    with pytest.raises(CheckFailed, match=complaint):
        env_file(EnvParams(), make_ctx())


def test_a_missing_env_says_to_run_lab_init(make_ctx):
    with pytest.raises(CheckFailed, match="lab init"):
        env_file(EnvParams(), make_ctx())


# ---- model file + manifest ------------------------------------------------------------------
def trained(settings) -> Manifest:
    model = DummyClassifier().fit([[0.0] * 10, [1.0] * 10], [0, 1])
    digest = dump_model(model, settings.model_path)
    manifest = Manifest(
        label="v1.2.0-stable", model_name="churn-model", registry_version="3", run_id="r",
        feature_names=[f"f{i}" for i in range(10)], metrics={}, eval_metrics={},
        sha256=digest, created_at="2026-01-01T00:00:00Z",
    )  # fmt: skip
    write_manifest(manifest, settings.manifest_path)
    return manifest


def test_model_files_pass_when_the_hash_matches(make_ctx, settings):
    trained(settings)
    ctx = make_ctx()
    observed = model_files(Params(), ctx)
    assert "matches the manifest (label v1.2.0-stable, registry version 3)" in observed
    assert ctx.facts.known(MODEL_LABEL) == "v1.2.0-stable"  # the label the manifest names


def test_model_files_fail_on_a_replaced_file_or_no_manifest(make_ctx, settings):
    with pytest.raises(CheckFailed, match=r"no manifest .*lab train"):
        model_files(Params(), make_ctx())
    trained(settings)
    settings.model_path.write_bytes(b"not the model")
    with pytest.raises(CheckFailed, match=r"SHA-256 .* ≠ manifest"):
        model_files(Params(), make_ctx())
    settings.model_path.unlink()
    with pytest.raises(CheckFailed, match="does not exist"):
        model_files(Params(), make_ctx())


# ---- CI workflow ----------------------------------------------------------------------------
WORKFLOW = """
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install tox
      - run: tox -e unit,integration
"""


def test_a_workflow_that_installs_and_runs_the_tests_passes(make_ctx, tmp_path):
    put(tmp_path, ".github/workflows/ci.yml", WORKFLOW)
    assert "job test installs (pip) and tests (tox)" in ci_workflow(WorkflowParams(), make_ctx())


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (WORKFLOW.replace("tox -e unit,integration", "pytest -q"), None),
        (WORKFLOW.replace("tox -e unit,integration", "echo done"), "runs the tests"),
        (WORKFLOW.replace("on: [push, pull_request]", ""), "no `on:`"),
        ("on: push\njobs: {}\n", "no jobs"),
        ("on: [push\n", "not valid YAML"),
        (WORKFLOW.replace("tox -e unit,integration", "echo tox"), "runs the tests"),
        (WORKFLOW.replace("tox -e unit,integration", "pip install -e . && python -m tox"), None),
        (WORKFLOW.replace("tox -e unit,integration", "/opt/tox/bin/tox -e integration"), None),
        (WORKFLOW.replace("tox -e unit,integration", "/opt/detox/bin/detox -e x"), "runs the"),
    ],
)
def test_a_workflow_must_install_and_run_the_tests(make_ctx, tmp_path, text, complaint):
    put(tmp_path, ".github/workflows/ci.yml", text)
    if complaint is None:
        ci_workflow(WorkflowParams(), make_ctx())
        return
    with pytest.raises(CheckFailed, match=complaint):
        ci_workflow(WorkflowParams(), make_ctx())


def test_some_workflow_of_the_folder_is_enough(make_ctx, tmp_path):
    put(
        tmp_path,
        ".github/workflows/lab-check.yml",
        "on: push\njobs:\n  c:\n    steps:\n      - run: lab check\n",
    )
    with pytest.raises(CheckFailed, match="no job both installs"):
        ci_workflow(WorkflowParams(), make_ctx())
    put(tmp_path, ".github/workflows/tests.yml", WORKFLOW)
    assert "tests.yml: job test" in ci_workflow(WorkflowParams(), make_ctx())


# ---- Dockerfile -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dockerfile", "user"),
    [
        ("FROM python:3.11-slim\nRUN useradd lab\nUSER lab\n", "lab"),
        ("FROM a AS build\nUSER builder\nFROM b\nRUN x\n", None),  # USER of another stage
        ("FROM a\nUSER lab\nUSER root\n", "root"),
        ("FROM a\nARG UID=10001\nUSER ${UID}:${UID}\n", "10001:10001"),
        ("FROM a\n# USER lab\nRUN echo \\\n  USER lab\n", None),  # comments and RUN text
        ("from a\nuser lab:lab\n", "lab:lab"),
    ],
)
def test_final_user(dockerfile, user):
    assert final_user(dockerfile) == user


@pytest.mark.parametrize(
    ("dockerfile", "verdict"),
    [
        ("FROM a\nUSER 10001\n", None),
        ("FROM a\nRUN x\n", "no USER: it runs as root"),
        ("FROM a\nUSER 0:0\n", "runs as USER 0:0"),
        ("FROM a\nUSER $WHO\n", "cannot tell"),
    ],
)
def test_container_user(make_ctx, tmp_path, dockerfile, verdict):
    put(tmp_path, "config/container/Dockerfile", dockerfile)
    if verdict is None:
        assert "runs as USER 10001" in container_user(ContainerParams(), make_ctx())
    else:
        with pytest.raises(CheckFailed, match=verdict):
            container_user(ContainerParams(), make_ctx())


def test_missing_project_files_fail(make_ctx):
    with pytest.raises(CheckFailed, match="no Dockerfile in"):
        container_user(ContainerParams(), make_ctx())
    with pytest.raises(CheckFailed, match=r"no workflow in .*\.github/workflows/"):
        ci_workflow(WorkflowParams(), make_ctx())


def test_the_project_dockerfile_wins_and_hadolint_grades_it(make_ctx, tmp_path):
    put(tmp_path, "config/container/Dockerfile", "FROM a\nUSER 0\n")
    put(tmp_path, "Dockerfile", "FROM python:3.11-slim@sha256:" + "a" * 64 + "\nUSER 10001\n")
    assert "hadolint finds nothing" in container_file(ContainerParams(), make_ctx(timeout=30))
    put(tmp_path, "Dockerfile", "FROM python\nRUN cd /tmp && apt-get install curl\nUSER 10001\n")
    with pytest.raises(CheckFailed, match=r"hadolint: \d+ findings, first: .*DL"):
        container_file(ContainerParams(), make_ctx(timeout=30))


# ---- the test suite -------------------------------------------------------------------------
def test_the_suite_check_runs_pytest_for_real(make_ctx, tmp_path):
    put(tmp_path, "tests/unit/test_ok.py", "def test_ok():\n    assert 1 + 1 == 2\n")
    params = SuiteParams(paths=["tests/unit"])
    python = Path(sys.executable)
    assert "1 passed" in suite_passes(params, make_ctx(timeout=120, python=python))
    put(tmp_path, "tests/unit/test_bad.py", "def test_bad():\n    assert 1 + 1 == 3\n")
    with pytest.raises(
        CheckFailed,
        match=r"exit code 1: 1 failed, 1 passed .*; first: tests/unit/test_bad.py::test_bad$",
    ):
        suite_passes(params, make_ctx(timeout=120, python=python))


def test_the_suite_check_fails_on_no_tests_and_skips_with_no_tests(make_ctx, tmp_path):
    with pytest.raises(CheckFailed, match="no tests in"):
        suite_passes(SuiteParams(paths=["tests/property"]), make_ctx())
    put(tmp_path, "tests/unit/helper.py", "X = 1\n")
    python = Path(sys.executable)
    with pytest.raises(CheckFailed, match="collected no tests"):
        suite_passes(SuiteParams(paths=["tests/unit"]), make_ctx(timeout=120, python=python))
    with pytest.raises(CheckSkipped, match="--no-tests"):
        suite_passes(SuiteParams(), make_ctx(run_tests=False))


def test_failures_are_read_from_the_short_summary_only():
    out = (
        "ERROR    lab.serving:app.py:12 a log line, not a test\n"
        "=========== short test summary info ===========\n"
        "FAILED tests/unit/test_a.py::test_x - assert 1 == 2\n"
        "ERROR tests/unit/test_b.py::test_y - RuntimeError\n"
        "=========== 1 failed, 1 error in 0.3s ===========\n"
    )
    assert failures(out) == ["tests/unit/test_a.py::test_x", "tests/unit/test_b.py::test_y"]
    assert failures("ERROR    lab.x: log\n1 failed in 0.1s\n") == []


def test_summary_line():
    out = "....\n=========== 4 passed, 1 skipped in 0.12s ===========\n"
    assert summary_line(out) == "4 passed, 1 skipped in 0.12s"
    assert summary_line("4 passed in 0.1s\n") == "4 passed in 0.1s"
    assert summary_line("boom\n") == "boom"
