"""`lab segment --all` prints its run id before anything can fail, so a crash can resume."""

from __future__ import annotations

from click.testing import CliRunner

from lab.cli import main
from tests.support import free_port


def test_the_run_id_comes_first_even_when_the_run_fails(settings, monkeypatch) -> None:
    monkeypatch.setenv("LAB_HOME", str(settings.LAB_HOME))
    monkeypatch.setenv("CRM_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens
    result = CliRunner().invoke(main, ["segment", "--all", "--run-id", "R7"])
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith("run id R7") and "--run-id R7" in first
