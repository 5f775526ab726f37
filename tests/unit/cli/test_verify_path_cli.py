"""`lab exercise verify --path` and `lab course verify --path` from the command line: explained
in --help, and refused with module names (it walks every module, in order)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from lab.cli import main


@pytest.mark.parametrize("group", ["exercise", "course"])
def test_help_explains_the_course_path(group: str) -> None:
    said = CliRunner().invoke(main, [group, "verify", "--help"], terminal_width=200)
    assert said.exit_code == 0, said.output
    assert "--path" in said.output and "lab course next" in said.output
    assert "keeps every line the learner wrote" in " ".join(said.output.split())


@pytest.mark.parametrize("group", ["exercise", "course"])
def test_path_with_modules_is_a_usage_error(group: str) -> None:
    said = CliRunner().invoke(main, [group, "verify", "--path", "M2"])
    assert said.exit_code == 2
    assert "--path walks every module in order" in said.output
