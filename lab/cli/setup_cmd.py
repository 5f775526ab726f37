"""`lab init`: write `.env` with generated secrets."""

from __future__ import annotations

import click

from lab.cli._common import LabError, console, get_settings
from lab.envfile import EnvFileExistsError, write_env
from lab.settings import env_file_path


@click.command("init")
@click.option("--force", is_flag=True, help="Overwrite an existing .env (its secrets change).")
def init(force: bool) -> None:
    """Write `.env` from `.env.example`, generating the tokens and the Grafana password."""
    target = env_file_path()
    try:
        write_env(target, force=force)
    except (EnvFileExistsError, FileNotFoundError) as exc:
        raise LabError(str(exc)) from None
    settings = get_settings()
    settings.LAB_HOME.mkdir(parents=True, exist_ok=True)
    console.print(
        f"[green]wrote[/] {target} (secrets generated); runtime folder {settings.LAB_HOME}"
    )
