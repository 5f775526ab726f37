"""lab/workspace.py: finding a workspace, reading workspace.toml, filling the learner's commands."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lab import workspace
from lab.settings import load_settings

TOML = """
[workspace]
modules = ["M4"]
[processes]
api = "python -m uvicorn app.main:create_app --factory --port {API_PORT}"
[commands]
train = "python -m training.train --n_samples 50"
"""


def write(folder: Path, text: str = TOML) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / workspace.FILE_NAME).write_text(text, encoding="utf-8")
    return folder


def test_find_walks_up_to_the_folder_holding_workspace_toml(tmp_path: Path) -> None:
    root = write(tmp_path / "ws")
    (root / "app" / "deep").mkdir(parents=True)
    found = workspace.find(root / "app" / "deep")
    assert found is not None
    assert found.root == root.resolve()
    assert found.modules == ("M4",)
    assert workspace.find(tmp_path) is None


def test_find_stops_at_the_project_root(tmp_path: Path) -> None:
    write(tmp_path)  # another user's workspace.toml left in a shared parent folder
    for marker in ("pyproject.toml", ".git"):
        project = tmp_path / f"project-{marker}"
        (project / "src").mkdir(parents=True)
        (project / marker).touch()
        assert workspace.find(project / "src") is None
        assert workspace.find(project) is None
    assert workspace.find(root=tmp_path / "project-.git") is None  # the root only, given
    assert workspace.find(root=tmp_path) is not None


def test_find_ignores_a_workspace_toml_of_another_user(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path)
    (tmp_path / "deep").mkdir()
    monkeypatch.setattr(workspace.os, "getuid", lambda: 4242, raising=False)
    assert workspace.find(tmp_path / "deep") is None


def test_processes_replace_only_the_learners_and_fill_placeholders(tmp_path: Path) -> None:
    ws = workspace.load(write(tmp_path))
    base = {"mlflow": "python -m lab mlflow", "api": "python -m lab serve"}
    merged = ws.processes(base, load_settings(env_file=tmp_path / "none", API_PORT=24123))
    assert merged["mlflow"] == "python -m lab mlflow"
    assert merged["api"] == "python -m uvicorn app.main:create_app --factory --port 24123"
    assert list(merged) == ["mlflow", "api"]


def test_command_is_an_argument_list_run_by_the_named_python(tmp_path: Path) -> None:
    text = TOML.replace('modules = ["M4"]', 'modules = ["M4"]\npython = "/opt/py/bin/python"')
    ws = workspace.load(write(tmp_path, text))
    assert ws.command("train") == [
        "/opt/py/bin/python",
        "-m",
        "training.train",
        "--n_samples",
        "50",
    ]
    assert ws.command("nothing") is None
    assert workspace.load(write(tmp_path / "b")).command("train")[0] == sys.executable


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[workspace]\nmodules = ['M9.x']\n", "modules must be a list"),
        ("[workspace]\nmodules = [9]\n", "modules must be a list"),
        ("[workspace]\nmodules = []\ncourse = '../elsewhere'\n", "course must be a folder"),
        ("[workspace\n", "cannot read"),
        ("[workspace]\nmodules = []\n[processes]\nApi = 'x'\n", "[processes]"),
        ("[workspace]\nmodules = []\n[processes]\napi = '{NOPE}'\n", "unknown placeholder"),
    ],
)
def test_a_bad_workspace_toml_says_what_is_wrong(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(workspace.WorkspaceError, match=says.replace("[", r"\[")):
        workspace.load(write(tmp_path, text)).processes({}, load_settings(env_file=tmp_path / "x"))


def test_a_workspace_may_hold_any_module_of_its_course_and_name_the_course(tmp_path: Path) -> None:
    text = workspace.render(["W9"], {}, {}, course=".course")
    ws = workspace.load(write(tmp_path, text))
    assert ws.modules == ("W9",) and ws.course_dir == (tmp_path / ".course").resolve()
    assert workspace.load(write(tmp_path / "b", workspace.render([], {}, {}))).course_dir is None


def test_render_round_trips(tmp_path: Path) -> None:
    text = workspace.render(["M2"], {"api": 'python -m x --q "a"'}, {"test": "python -m pytest"})
    ws = workspace.load(write(tmp_path, text))
    assert ws.modules == ("M2",)
    assert ws.learner_processes == {"api": 'python -m x --q "a"'}
    assert ws.commands == {"test": "python -m pytest"}


def test_a_path_with_spaces_stays_one_argument(tmp_path: Path) -> None:
    text = TOML.replace("--port {API_PORT}", "--app-dir {WORKSPACE} --port {API_PORT}")
    ws = workspace.load(write(tmp_path / "with space", text))
    args = ws.process_args("api", load_settings(env_file=tmp_path / "none", API_PORT=24124))
    assert args is not None
    assert args[0] == sys.executable
    assert args[args.index("--app-dir") + 1] == str(ws.root)
    assert args[-1] == "24124"
