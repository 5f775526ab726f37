"""Helpers shared by the CLI verbs: settings with friendly errors, the console."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console

from lab.settings import Settings, SettingsError, load_settings

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def get_settings(**overrides: Any) -> Settings:
    """Settings, or a one-line error naming the bad key (exit code 2), never a traceback."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None


class LabError(click.ClickException):
    """An expected failure: printed as one line, exit code 1."""

    def show(self, file=None) -> None:
        err_console.print(f"[bold red]error:[/] {self.format_message()}")


def lab_invocation() -> str:
    """How to run this lab from any folder, as a learner can type it: `lab` when that name on
    PATH is this lab, else the full path of this lab's launcher, else `python -m lab`."""
    import shlex
    import shutil
    import sys
    from pathlib import Path

    scripts = Path(sys.executable).parent
    launcher = next(
        (p for p in (scripts / "lab", scripts / "lab.exe") if p.is_file()), None
    )  # fmt: skip
    on_path = shutil.which("lab")
    if on_path and launcher and Path(on_path).resolve() == launcher.resolve():
        return "lab"
    quote = subprocess_quote if sys.platform == "win32" else shlex.quote
    if launcher is not None:
        return quote(str(launcher))
    return f"{quote(sys.executable)} -m lab"


def subprocess_quote(value: str) -> str:
    import subprocess

    return subprocess.list2cmdline([value])
