"""`lab up` in a learner's workspace: its commands replace the Procfile's, run in its folder,
and its own `train` command makes the first model (SPEC contract 2, through lab.workspace)."""

from __future__ import annotations

import sys

from lab.cli import up_cmd
from lab.orchestration import firstmodel

TOML = """\
[workspace]
modules = ["M4"]
[processes]
api = "python -m uvicorn app.main:app --host {API_HOST} --port {API_PORT}"
[commands]
train = "python -m training.train --n_samples 200"
"""


def test_the_workspace_runs_its_own_api_from_its_folder(tmp_path, settings_factory, monkeypatch):
    settings = settings_factory(API_PORT=18123)
    (tmp_path / "workspace.toml").write_text(TOML, encoding="utf-8")
    (tmp_path / "app").mkdir()
    monkeypatch.chdir(tmp_path / "app")  # anywhere inside the workspace
    plan = up_cmd._plan(settings, None, ())  # the Procfile shipped with the lab
    assert plan.processes["api"] == ("python -m uvicorn app.main:app --host 127.0.0.1 --port 18123")
    assert plan.processes["crm"] == "python -m lab crm"  # the lab's own
    assert plan.cwd == tmp_path.resolve() and plan.env_file == tmp_path.resolve() / ".env"
    assert plan.train is not None and plan.train[0] == sys.executable
    assert plan.train[1:] == ["-m", "training.train", "--n_samples", "200"]


def test_outside_a_workspace_the_procfile_is_used_as_it_is(tmp_path, settings, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = up_cmd._plan(settings, None, ("api",))
    assert plan.processes == {"api": "python -m lab serve"}
    assert plan.cwd is None and plan.train is None


def test_in_a_workspace_only_its_own_training_makes_the_first_model(
    tmp_path, settings, monkeypatch
):
    calls = []
    monkeypatch.setattr(firstmodel.subprocess, "call", lambda cmd, **kw: calls.append(cmd) or 1)
    plan = up_cmd._Plan({}, [], cwd=tmp_path, train=None)
    assert up_cmd._train_first_model(settings, {}, plan) is False and calls == []  # not lab's
    plan.train = ["python", "-m", "training.train"]
    assert up_cmd._train_first_model(settings, {}, plan) is False  # failed: a warning only
    assert calls == [plan.train]
