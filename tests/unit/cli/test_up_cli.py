"""`lab up / status / down / clean` as a learner types them (no long-running processes here)."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lab.cli import _common, main
from lab.orchestration import runfile
from lab.services import PORT_KEYS
from tests.support import free_port


def _flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


@pytest.fixture
def lab_dir(tmp_path: Path, settings_factory, monkeypatch) -> Path:
    """A working folder with no .env yet, free ports, LAB_HOME inside it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAB_ENV_FILE", str(tmp_path / ".env"))
    monkeypatch.setenv("LAB_HOME", str(tmp_path / "home"))
    for shared in (_common.console, _common.err_console):  # no wrap inside a long temp path
        monkeypatch.setattr(shared, "width", 1000)
    for key in PORT_KEYS:
        monkeypatch.setenv(key, str(free_port()))
    return tmp_path


def test_up_with_a_port_in_use_names_port_and_key_and_starts_nothing(lab_dir, monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.setenv("CRM_PORT", str(port))
        result = CliRunner().invoke(main, ["up", "--no-train"])
    assert result.exit_code == 1, result.output
    output = _flat(result.output)
    assert f"port {port} (CRM_PORT, for crm) on 127.0.0.1 is already in use" in output
    assert "nothing started" in output
    assert "Traceback" not in result.output
    assert (lab_dir / ".env").is_file()  # written first, as `lab init`
    assert not (lab_dir / "home" / "run" / "lab.json").exists()


def test_up_refuses_an_unknown_process_name(lab_dir):
    result = CliRunner().invoke(main, ["up", "--no-train", "nginx"])
    assert result.exit_code == 1
    assert "nginx: not in" in _flat(result.output)


def test_status_with_nothing_running_shows_every_process_down(lab_dir):
    result = CliRunner().invoke(main, ["status"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for name in ("mlflow", "crm", "api", "prometheus", "grafana"):
        assert name in result.output
    assert "healthy" not in result.output
    assert "lab up" in result.output


def test_down_with_nothing_recorded_says_so(lab_dir):
    result = CliRunner().invoke(main, ["down"])
    assert result.exit_code == 0
    assert "nothing to stop" in _flat(result.output)


class TerminalRunner(CliRunner):
    """A CliRunner whose stdin is a terminal, so `click.confirm` really asks."""

    @contextlib.contextmanager
    def isolation(self, *args, **kwargs):
        with super().isolation(*args, **kwargs) as streams:
            sys.stdin.isatty = lambda: True
            yield streams


def _home_with_a_model(lab_dir: Path) -> Path:
    home = lab_dir / "home"
    (lab_dir / ".env").write_text("KEEP=1\n")
    (home / "models").mkdir(parents=True)
    (home / "models" / "m.joblib").write_bytes(b"x" * 1000)
    return home


@pytest.mark.parametrize("answer", ["n\n", "\n"])  # no, and Enter (the default is no)
def test_clean_asks_and_no_aborts_with_nothing_removed(lab_dir, answer):
    home = _home_with_a_model(lab_dir)
    refused = TerminalRunner().invoke(main, ["clean"], input=answer)
    assert f"Remove {home} (0.0 MB: runs, models, data)? [y/N]" in _flat(refused.output)
    assert refused.exit_code == 1 and isinstance(refused.exception, SystemExit)
    assert refused.output.rstrip().endswith("Aborted!")
    assert (home / "models" / "m.joblib").is_file()


def test_clean_asks_and_y_removes_only_lab_home(lab_dir):
    home = _home_with_a_model(lab_dir)
    result = TerminalRunner().invoke(main, ["clean"], input="y\n")
    assert result.exit_code == 0, result.output
    assert "[y/N]: y" in result.output and f"removed {home}" in _flat(result.output)
    assert not home.exists()
    assert (lab_dir / ".env").read_text() == "KEEP=1\n"  # outside LAB_HOME: untouched


def test_clean_without_a_terminal_asks_for_yes_and_yes_removes(lab_dir):
    home = _home_with_a_model(lab_dir)
    refused = CliRunner().invoke(main, ["clean"], input="y\n")  # piped: no question asked
    assert refused.exit_code == 1
    assert f"would remove {home} (0.0 MB): confirm with --yes" in _flat(refused.output)
    assert home.exists()
    result = CliRunner().invoke(main, ["clean", "--yes"])
    assert result.exit_code == 0, result.output
    assert not home.exists()
    assert (lab_dir / ".env").read_text() == "KEEP=1\n"


def test_clean_refuses_a_folder_that_holds_a_project(lab_dir, monkeypatch):
    (lab_dir / "proj").mkdir()
    (lab_dir / "proj" / "pyproject.toml").write_text("[project]\n")
    monkeypatch.setenv("LAB_HOME", str(lab_dir / "proj"))
    result = CliRunner().invoke(main, ["clean", "--yes"])
    assert result.exit_code == 1
    assert "looks like a project" in _flat(result.output)
    assert (lab_dir / "proj" / "pyproject.toml").exists()


def test_clean_refuses_while_a_lab_runs(lab_dir):
    home = lab_dir / "home"
    runfile.write(home / "run", runfile.for_this_process({}))
    result = CliRunner().invoke(main, ["clean", "--yes"])
    assert result.exit_code == 1
    assert "lab down" in _flat(result.output)
    assert home.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="the working folder cannot be removed there")
def test_clean_refuses_the_working_folder(lab_dir, monkeypatch):
    monkeypatch.setenv("LAB_HOME", os.fspath(lab_dir))
    result = CliRunner().invoke(main, ["clean", "--yes"])
    assert result.exit_code == 1
    assert "working folder" in _flat(result.output)


def test_a_second_lab_up_is_refused_while_one_runs(lab_dir):
    runfile.write(lab_dir / "home" / "run", runfile.for_this_process({}))
    result = CliRunner().invoke(main, ["up", "--no-train"])
    assert result.exit_code == 1
    output = _flat(result.output)
    assert f"a lab is already running (`lab up`, pid {os.getpid()})" in output
    assert "lab down" in output
