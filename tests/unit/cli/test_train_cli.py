from __future__ import annotations

import pytest
from click.testing import CliRunner

from lab.cli import main
from lab.cli.train_cmd import train

SEED_LINE = ["--n_samples", "1000", "--c_param", "0.1", "--model_version", "v1.2.0-stable"]
NEW_LINE = ["--n-samples", "1000", "--c", "0.1", "--model-version", "v1.2.0-stable"]


def _params(args: list[str]) -> dict:
    return train.make_context("train", list(args)).params


def test_seed_spellings_parse_like_the_new_ones():
    assert _params(SEED_LINE) == _params(NEW_LINE)
    params = _params(SEED_LINE)
    assert params["n_samples"] == 1000 and params["c"] == 0.1
    assert params["model_version"] == "v1.2.0-stable"


@pytest.mark.parametrize(
    ("args", "complaint"),
    [(["--c", "0"], "--c"), (["--n-samples", "5"], "--n-samples"), (["--c", "abc"], "--c")],
)
def test_bad_options_are_usage_errors_not_tracebacks(args, complaint):
    result = CliRunner().invoke(main, ["train", *args])
    assert result.exit_code == 2
    assert complaint in result.output
    assert "Traceback" not in result.output


def test_a_bad_label_is_refused(settings):
    result = CliRunner().invoke(main, ["train", "--model-version", "v1/../x"])
    assert result.exit_code == 2
    assert "--model-version" in result.output


def test_a_bad_setting_is_one_line_naming_the_key(settings, monkeypatch):
    monkeypatch.setenv("MLFLOW_PORT", "five-thousand")
    result = CliRunner().invoke(main, ["train"])
    assert result.exit_code == 2
    assert "MLFLOW_PORT" in result.output
    assert "Traceback" not in result.output


def test_help_explains_the_seed_example():
    result = CliRunner().invoke(main, ["train", "--help"])
    assert result.exit_code == 0
    assert "--n_samples" in result.output and "v1.2.0-stable" in result.output
