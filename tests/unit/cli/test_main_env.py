"""Every `lab` process refuses MLflow's pickle loaders (issue 13, item 1)."""

from __future__ import annotations

import os

from click.testing import CliRunner

from lab.cli import main


def test_any_verb_sets_mlflow_pickle_deserialization_off(monkeypatch, settings) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    monkeypatch.setenv("LAB_HOME", str(settings.LAB_HOME))
    CliRunner().invoke(main, ["status", "--json"])
    assert os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] == "false"
