"""lab/exercises/build.py: a new workspace holds the starter, the solved needs, .env and git."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lab import workspace
from lab.exercises import build, mutants
from lab.settings import load_settings


def test_a_workspace_holds_the_starter_and_what_it_needs_solved(tmp_path: Path) -> None:
    ws = build.create(tmp_path / "ws", "M4", settings={"API_PORT": 24991})
    crm = (ws.root / "app" / "crm.py").read_text(encoding="utf-8")
    model = (ws.root / "app" / "model.py").read_text(encoding="utf-8")
    assert 'raise NotImplementedError("M4.crm_record:' in crm
    assert "NotImplementedError" not in model  # M2 is solved: M4 needs it
    assert workspace.find(ws.root / "app") == ws
    assert ws.modules == ("M4",)
    settings = load_settings(env_file=ws.env_file)
    assert settings.API_PORT == 24991
    assert len(settings.CRM_TOKEN) >= 16
    assert (ws.root / "tasks" / "M4.md").is_file()
    assert (ws.root / ".lab").is_dir()
    if shutil.which("git"):
        assert (ws.root / ".git").is_dir()


def test_an_m1_workspace_leaves_env_and_interpreter_to_the_learner(tmp_path: Path) -> None:
    ws = build.create(tmp_path / "ws", "M1", git=False)
    assert not ws.env_file.exists()
    assert (ws.root / ".env.example").is_file()
    assert ws.python is None
    assert ws.command("train") is None  # the one-step training command is M1's too
    text = ws.toml_path.read_text(encoding="utf-8")
    assert "# TODO M1.python:" in text and "# TODO M1.train:" in text
    solved = build.create(tmp_path / "solved", "M1", variant="solution", git=False)
    assert solved.python and solved.command("train")
    assert "TODO" not in solved.toml_path.read_text(encoding="utf-8")


def test_it_never_overwrites_and_says_how_to_start_over(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "mine.py").write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(build.WorkspaceExists, match="start over"):
        build.create(tmp_path / "ws", "M2")
    assert (tmp_path / "ws" / "mine.py").read_text(encoding="utf-8") == "x = 1\n"


def test_every_mutant_applies_exactly_once_to_the_solution() -> None:
    base = mutants.solved_project()
    for mutant in mutants.MUTANTS:
        assert mutants.apply(base, mutant)[mutant.path] != base[mutant.path]


def test_without_the_checkouts_env_example_a_minimal_one_is_used(monkeypatch, tmp_path) -> None:
    def missing(*_args):
        raise FileNotFoundError("no .env.example")

    monkeypatch.setattr(build, "find_example", missing)
    ws = build.create(tmp_path / "ws", "M2", settings={"API_PORT": 24993}, git=False)
    settings = load_settings(env_file=ws.env_file)
    assert settings.API_PORT == 24993
    assert len(settings.ADMIN_TOKEN) >= 16
