"""Checks that grade the project under test: its folder, interpreter, dependencies, layout,
training command and tests (read statically). Each has a passing and a failing case."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from lab.acceptance import graded
from lab.acceptance.checks import CheckError, CheckFailed
from lab.acceptance.checks.environment import (
    DepsParams,
    LayoutParams,
    PythonParams,
    TrainParams,
    dependencies_pinned,
    project_dependencies,
    project_layout,
    project_python,
    train,
    train_command,
)
from lab.acceptance.checks.suite_sources import (
    CoverageParams,
    IntegrationParams,
    MarkerParams,
    areas_covered,
    integration_test_exists,
    service_tests_marked,
)

PY = Path(sys.executable)


def put(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# ---- which project, which interpreter --------------------------------------------------------
def test_the_project_is_the_folder_given_else_cwd_when_a_project_else_the_checkout(tmp_path):
    put(tmp_path, "proj/pyproject.toml", "[project]\nname='p'\n")
    given = graded.resolve(tmp_path / "proj", None, cwd=tmp_path)
    assert given.root == (tmp_path / "proj").resolve() and given.kind == "project"
    assert given.python is None and "no .venv" in given.python_note  # never the grader's
    assert given.env_file == given.root / ".env"
    assert graded.resolve(None, None, cwd=tmp_path / "proj").root == given.root
    checkout = graded.resolve(None, None, cwd=tmp_path)
    assert checkout.kind == "lab checkout" and checkout.python == PY
    assert graded.resolve(tmp_path / "proj", PY).python == PY


def test_a_workspace_naming_no_interpreter_gets_none_with_how_to_name_one(tmp_path, make_ctx):
    put(tmp_path, "workspace.toml", '[workspace]\nmodules = ["M1"]\n')
    project = graded.resolve(tmp_path, None)
    assert project.kind == "workspace" and project.python is None  # never the lab's
    ctx = make_ctx(python=None, python_note=project.python_note, workspace=project.workspace)
    with pytest.raises(CheckFailed, match=r"no interpreter for the workspace.*python -m venv"):
        project_python(PythonParams(), ctx)
    put(tmp_path, "workspace.toml", f'[workspace]\nmodules = ["M1"]\npython = "{PY.as_posix()}"\n')
    named = graded.resolve(tmp_path, None)
    assert named.python == PY and named.python_note == "workspace.toml"


def test_the_project_venv_is_its_interpreter(tmp_path):
    put(tmp_path, "pyproject.toml", "[project]\nname='p'\n")
    python = graded.venv_python(tmp_path / ".venv")
    python.parent.mkdir(parents=True)
    python.symlink_to(PY)
    project = graded.resolve(tmp_path, None)
    assert project.python == python and project.python_note == ".venv/"


# ---- M1.python, M1.deps, M1.pinned -------------------------------------------------------------
def test_the_interpreter_must_be_a_venv_meeting_requires_python(make_ctx, tmp_path):
    put(tmp_path, "pyproject.toml", "[project]\nname='p'\nrequires-python='>=3.11'\n")
    assert "in a venv (requires >=3.11)" in project_python(PythonParams(), make_ctx(python=PY))
    put(tmp_path, "pyproject.toml", "[project]\nname='p'\nrequires-python='>=3.99'\n")
    with pytest.raises(CheckFailed, match=r"the project requires >=3.99"):
        project_python(PythonParams(), make_ctx(python=PY))
    with pytest.raises(CheckError, match=r"no interpreter for the project"):
        project_python(PythonParams(), make_ctx(python=None))


def test_dependencies_import_in_the_project_interpreter(make_ctx, tmp_path):
    put(tmp_path, "pyproject.toml", "[project]\nname='p'\ndependencies=['httpx>=0.1', 'pyyaml']\n")
    ctx = make_ctx(python=PY, timeout=60)
    assert "2 dependencies of pyproject.toml installed and importing" in project_dependencies(
        DepsParams(), ctx
    )
    put(
        tmp_path,
        "pyproject.toml",
        "[project]\nname='p'\ndependencies=['httpx>=999', 'nopkg-xyz']\n",
    )
    with pytest.raises(
        CheckFailed, match=r"httpx .* does not meet >=999; nopkg-xyz is not installed"
    ):
        project_dependencies(DepsParams(), ctx)


def test_requirements_txt_is_read_when_pyproject_declares_nothing(make_ctx, tmp_path):
    put(tmp_path, "requirements.txt", "# course file\nhttpx==0.0.1\npyyaml\n")
    with pytest.raises(CheckFailed, match=r"requirements.txt: no version constraint on pyyaml"):
        dependencies_pinned(PythonParams(), make_ctx())
    put(tmp_path, "requirements.txt", "httpx>=0.1\n")
    assert "all 1 dependencies carry" in dependencies_pinned(PythonParams(), make_ctx())
    (tmp_path / "requirements.txt").unlink()
    with pytest.raises(CheckFailed, match=r"no dependencies declared"):
        dependencies_pinned(PythonParams(), make_ctx())


# ---- M1.layout, M1.train -------------------------------------------------------------------
def test_layout_needs_serving_training_and_tests_apart(make_ctx, tmp_path):
    put(tmp_path, "app/main.py", "")
    put(tmp_path, "training/train.py", "")
    with pytest.raises(CheckFailed, match=r"no folder or module for tests"):
        project_layout(LayoutParams(), make_ctx())
    put(tmp_path, "tests/test_x.py", "")
    assert project_layout(LayoutParams(), make_ctx()) == (
        "serving: app, training: training, tests: tests"
    )


class FakeWorkspace:
    def __init__(self, commands: dict[str, list[str]]):
        self.commands = commands

    def command(self, name: str) -> list[str] | None:
        return self.commands.get(name)


TRAIN = """
import argparse, os, pathlib
p = argparse.ArgumentParser()
for flag in ("--n_samples", "--c_param", "--model_version"):
    p.add_argument(flag, required=True)
p.parse_args()
out = pathlib.Path(os.environ["LAB_HOME"]) / "models" / "sample_model.joblib"
out.parent.mkdir(parents=True)
out.write_bytes(b"model")
"""


def test_the_workspace_training_command_runs_with_the_course_flags(make_ctx, tmp_path):
    put(tmp_path, "training/train.py", TRAIN)
    ws = FakeWorkspace({"train": ["python", "training/train.py"]})
    observed = train(TrainParams(), make_ctx(python=PY, workspace=ws, timeout=60))
    assert "--n_samples 300 --c_param 0.5 --model_version v0.0.1-check" in observed
    assert "workspace.toml [commands] train" in observed
    put(tmp_path, "training/train.py", TRAIN.replace('"--c_param", ', ""))
    with pytest.raises(CheckFailed, match=r"exit 2: .*unrecognized arguments: --c_param"):
        train(TrainParams(), make_ctx(python=PY, workspace=ws, timeout=60))


def test_a_workspace_without_a_train_command_fails_never_running_the_labs(make_ctx):
    ctx = make_ctx(python=PY, workspace=FakeWorkspace({}))
    with pytest.raises(CheckFailed, match=r"workspace.toml has no `\[commands\] train`"):
        train(TrainParams(), ctx)
    assert train_command(make_ctx(python=PY))[1] == "the lab's `lab train`"  # outside one


# ---- M6: the project's tests, read statically -------------------------------------------------
GOOD_TESTS = {
    "pyproject.toml": "[tool.pytest.ini_options]\nmarkers = ['integration: needs services']\n",
    "tests/test_api.py": """
        def test_health(client):
            assert client.get("/health").status_code == 200

        def test_predict(client):
            assert client.post("/predict", json={}).status_code == 422

        def test_metrics(client):
            assert "prediction_requests_total" in client.get("/metrics").text
    """,
    "tests/integration/test_flow.py": """
        import pytest
        pytestmark = pytest.mark.integration

        def test_flow_updates_the_crm(api, crm):
            api.post("/crm_segment_update", params={"customer_id": "C1"})
            assert crm.get("/customers/C1").json()["segment"]
    """,
}


def test_the_tests_cover_each_area_and_keep_service_tests_apart(make_ctx, tmp_path):
    for name, text in GOOD_TESTS.items():
        put(tmp_path, name, text)
    ctx = make_ctx()
    assert "4 tests; /health: 1 tests, /predict: 1 tests, the CRM flow: 1 tests" in (
        areas_covered(CoverageParams(), ctx)
    )
    assert "1 of 4 tests marked integration" in service_tests_marked(MarkerParams(), ctx)
    assert "tests/integration/test_flow.py::test_flow_updates_the_crm" in (
        integration_test_exists(IntegrationParams(), ctx)
    )


def test_missing_areas_markers_and_integration_tests_fail(make_ctx, tmp_path):
    put(tmp_path, "tests/test_api.py", GOOD_TESTS["tests/test_api.py"])
    ctx = make_ctx()
    with pytest.raises(CheckFailed, match=r"3 tests, none exercises the CRM flow"):
        areas_covered(CoverageParams(), ctx)
    with pytest.raises(CheckFailed, match=r"no integration or e2e marker registered"):
        service_tests_marked(MarkerParams(), ctx)
    with pytest.raises(CheckFailed, match=r"no test marked integration"):
        integration_test_exists(IntegrationParams(), ctx)


# ---- the command: exit 4 when the grading environment cannot run a check ---------------------
def test_lab_check_exits_4_on_an_error_and_names_the_project(tmp_path, monkeypatch):
    from lab.cli import main

    put(tmp_path, "pyproject.toml", "[project]\nname='learner'\n")
    put(tmp_path, "rubric.yml", (Path(__file__).parent / "rubric_one_python.yml").read_text())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    done = CliRunner().invoke(
        main, ["check", "--rubric", "rubric.yml", "--coverage", "--json", str(tmp_path / "c.json"),
               "--badges", str(tmp_path / "b"), "--html", str(tmp_path / "r.html")],
    )  # fmt: skip
    assert done.exit_code == 4, done.output
    flat = " ".join(done.output.split())
    assert f"grading the project {tmp_path.resolve()}" in flat
    assert "no interpreter for the project" in flat and "1 could not run" in flat
    assert "course coverage" in flat and "R-M1.C1" in flat
