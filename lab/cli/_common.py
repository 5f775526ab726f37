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


def signing_settings(**overrides: Any) -> Settings:
    """`get_settings()`, with LAB_SIGNING_KEY generated into .env first when it is missing (a
    .env written before the key existed): `lab train`, `lab rollout`, `lab serve` and `lab up`
    need it, and every later start reads the same value."""
    settings = get_settings(**overrides)
    if settings.LAB_SIGNING_KEY:
        return settings
    from lab.envfile import add_secret
    from lab.settings import env_file_path

    add_secret(env_file_path(), "LAB_SIGNING_KEY")
    err_console.print(f"generated LAB_SIGNING_KEY into {env_file_path()}")
    return get_settings(**overrides)


class LabError(click.ClickException):
    """An expected failure: printed as one line, exit code 1."""

    def show(self, file=None) -> None:
        err_console.print(f"[bold red]error:[/] {self.format_message()}")
