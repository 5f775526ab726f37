"""The Procfile: five `python -m lab <verb>` lines, no shell syntax, rendered for this Python."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click
import pytest

from lab.cli import main
from lab.orchestration import procfile
from lab.orchestration.services import SPECS
from tests.support import REPO


def test_the_shipped_procfile_runs_every_lab_process_through_a_lab_verb():
    processes = procfile.load(REPO / "Procfile")
    assert list(processes) == [s.name for s in SPECS]
    for name, cmd in processes.items():
        python, dash_m, package, verb = cmd.split()
        assert (python, dash_m, package) == ("python", "-m", "lab"), name
        assert main.get_command(click.Context(main), verb), f"`lab {verb}` does not exist"


@pytest.mark.parametrize(
    "line",
    [
        "api: python -m lab serve && echo done",
        "api: python -m lab serve | tee log",
        "api: API_PORT=1 python -m lab serve; true",
        "api: python -m lab serve > $HOME/log",
        "api: python -m lab serve %API_PORT%",
    ],
)
def test_shell_syntax_is_refused_with_the_reason(tmp_path: Path, line: str):
    path = tmp_path / "Procfile"
    path.write_text(line + "\n")
    with pytest.raises(procfile.ProcfileError, match="shell syntax"):
        procfile.load(path)


def test_an_empty_procfile_is_an_error(tmp_path: Path):
    path = tmp_path / "Procfile"
    path.write_text("# nothing\n")
    with pytest.raises(procfile.ProcfileError, match="no `name: command`"):
        procfile.load(path)


def test_render_runs_the_same_interpreter_quoted_for_the_shell():
    text = procfile.render({"api": "python -m lab serve", "x": "other --flag"}, "/opt/my py/python")
    api, other = text.splitlines()
    assert other == "x: other --flag"
    if sys.platform != "win32":
        assert shlex.split(api.partition(": ")[2]) == ["/opt/my py/python", "-m", "lab", "serve"]
    else:
        assert api == 'api: "/opt/my py/python" -m lab serve'
