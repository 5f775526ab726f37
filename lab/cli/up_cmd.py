"""`lab up`, `lab status`, `lab down`, `lab clean`: the whole lab with one command."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
import psutil

from lab.cli._common import LabError, console, err_console, get_settings
from lab.orchestration import clean as cleaning
from lab.orchestration import down as downing
from lab.orchestration import firstmodel, lifecycle, preflight, procfile, runfile
from lab.orchestration.health import Health, client
from lab.orchestration.services import Service, services
from lab.orchestration.signals import stop_requested
from lab.orchestration.supervisor import Supervisor
from lab.orchestration.table import status_table
from lab.settings import Settings, env_file_path


class _Console:
    """How `lab up` tells the learner what happens (lifecycle.Reporter)."""

    def healthy(self, service: Service, health: Health, seconds: float) -> None:
        console.print(f"[green]✓[/] {service.name} healthy at {service.link} ({seconds:.1f} s)")

    def all_healthy(self, rows: lifecycle.Rows, seconds: float) -> None:
        console.print(status_table(rows, title=f"mlops-lab is up ({seconds:.1f} s)"))
        console.print("Ctrl-C (or `lab down` in another terminal) stops every process.")

    def timed_out(self, rows: lifecycle.Rows, seconds: float) -> None:
        console.print(status_table(rows, title=f"still starting after {seconds:.0f} s"))
        console.print("[yellow]Not healthy yet; still waiting.[/] The log is above.")

    def exited(self, codes: dict[str, int]) -> None:
        what = ", ".join(f"{n} (exit code {c})" for n, c in codes.items())
        err_console.print(f"[bold red]error:[/] {what} stopped, so honcho stops the others")

    def stopping(self) -> None:
        console.print("stopping every process…")

    def stopped(self, survivors: list[psutil.Process]) -> None:
        if survivors:
            pids = ", ".join(str(p.pid) for p in survivors)
            err_console.print(f"[bold red]error:[/] could not stop PIDs {pids}")
        else:
            console.print("stopped; no process left behind")


def _echo(line: bytes) -> None:
    sys.stdout.buffer.write(line)
    sys.stdout.flush()


def _running_lab(settings: Settings) -> runfile.RunRecord | None:
    rec = runfile.read(settings.run_dir)
    return rec if rec is not None and rec.running() else None


def _train_first_model(ctx: click.Context, settings: Settings) -> bool:
    """Train with `lab train`'s defaults when there is no model file and no champion."""
    if firstmodel.has_model(settings):
        return False
    from lab.cli.train_cmd import train

    console.print(f"No model yet (no {settings.model_path.name}, no champion): training one.")
    ctx.invoke(train)
    return True


def _plan(
    settings: Settings, procfile_path: Path | None, names: tuple[str, ...]
) -> tuple[dict[str, str], list[Service]]:
    try:
        path = procfile_path or procfile.find()
        processes = procfile.load(path)
    except procfile.ProcfileError as exc:
        raise LabError(str(exc)) from None
    unknown = [n for n in names if n not in processes]
    if unknown:
        raise LabError(f"{', '.join(unknown)}: not in {path} (it has {', '.join(processes)})")
    chosen = names or tuple(processes)
    return processes, services(settings, chosen)


@click.command("up")
@click.argument("process_names", nargs=-1, metavar="[PROCESS]...")
@click.option(
    "--procfile",
    "procfile_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Procfile to run (default: ./Procfile, else the one shipped with the lab).",
)
@click.option(
    "--timeout", default=120.0, show_default=True, help="Seconds to wait before showing the table."
)
@click.option("--quiet", "-q", is_flag=True, help="Do not echo process output (still logged).")
@click.option("--no-train", is_flag=True, help="Do not train a first model when there is none.")
@click.pass_context
def up(ctx, process_names, procfile_path, timeout, quiet, no_train) -> None:
    """Start the whole lab: MLflow, CRM, API, Prometheus and Grafana (the Procfile, via honcho).

    Before starting it writes `.env` if missing (as `lab init`), trains a first model if there
    is none, checks every port is free and reports tools that are missing. Then it waits until
    every process answers its health URL and prints where to open each one. Ctrl-C or SIGTERM
    (or `lab down` from another terminal) stops every process it started.

    Name processes (e.g. `lab up mlflow api`) to start only those. Output goes to the terminal
    and to LAB_HOME/run/lab.log.
    """
    started = time.monotonic()
    if preflight.ensure_env_file(env_file_path()):
        console.print(f"[green]wrote[/] {env_file_path()} (secrets generated, as `lab init`)")
    settings = get_settings()
    running = _running_lab(settings)
    if running is not None:
        raise LabError(
            f"a lab is already running (`lab up`, pid {running.pid}): `lab status` shows it, "
            "`lab down` stops it"
        )
    processes, wanted = _plan(settings, procfile_path, process_names)
    missing = preflight.missing_tools(settings, wanted)
    errors, warnings = preflight.port_problems(wanted, missing)
    if errors:
        raise LabError("\n  ".join(["ports in use, nothing started:", *errors]))
    for name, hint in missing.items():
        console.print(f"[magenta]missing:[/] {name} — {hint}; it will stay idle")
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    if not no_train and _train_first_model(ctx, settings):
        started = time.monotonic()  # the start time is measured with a model present
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "LAB_ENV_FILE": str(env_file_path().resolve()),
    }
    sup = Supervisor(
        procfile.render(processes),
        settings.run_dir,
        env,
        names=process_names,
        echo=None if quiet else _echo,
    )
    console.print(f"starting {', '.join(s.name for s in wanted)} (log: {sup.log_path})")
    with stop_requested() as stop:
        outcome = lifecycle.LabRun(sup, wanted, missing, _Console(), started, timeout).run(stop)
    if outcome.healthy_after is not None:
        console.print(f"time from `lab up` to all healthy: {outcome.healthy_after:.1f} s")
    sys.exit(outcome.exit_code)


@click.command("status")
def status() -> None:
    """Show every process's URL and whether it answers (for a lab started anywhere)."""
    settings = get_settings()
    wanted = services(settings)
    missing = preflight.missing_tools(settings, wanted)
    with client() as http:
        rows = lifecycle.rows(http, wanted, missing)
    rec = _running_lab(settings)
    owner = f"started by `lab up` (pid {rec.pid})" if rec else "not started by `lab up` here"
    console.print(status_table(rows, title=f"mlops-lab status — {owner}"))
    if not any(h.ok for _, h in rows):
        console.print("Nothing answers: start the lab with `lab up`.")


@click.command("down")
def down() -> None:
    """Stop the lab that `lab up` started (it records itself in LAB_HOME/run/lab.json)."""
    settings = get_settings()
    result = downing.down(settings.run_dir)
    if result is None:
        console.print(
            f"No lab started by `lab up` is recorded in {settings.run_dir}: nothing to stop."
        )
        return
    if result.survivors:
        raise LabError(f"could not stop PIDs {', '.join(map(str, result.survivors))}")
    if not result.owner_was_running:
        console.print(f"`lab up` (pid {result.owner_pid}) was no longer running.")
    if result.swept:
        console.print(f"stopped {len(result.swept)} leftover process(es): {result.swept}")
    console.print("[green]stopped[/]: the lab is down.")


@click.command("clean")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def clean(yes: bool) -> None:
    """Remove LAB_HOME: databases, runs, models, fetched tools, Prometheus data, reports.

    `.env` is kept. A running lab must be stopped first (`lab down`).
    """
    settings = get_settings()
    home = settings.LAB_HOME
    if not home.exists():
        console.print(f"{home} does not exist: nothing to clean.")
        return
    running = _running_lab(settings)
    if running is not None:
        raise LabError(f"a lab is running (pid {running.pid}) on {home}: `lab down` first")
    try:
        cleaning.check_removable(home)
    except cleaning.UnsafeToRemove as exc:
        raise LabError(str(exc)) from None
    megabytes = cleaning.size(home) / 1e6
    if not yes:
        if not sys.stdin.isatty():
            raise LabError(f"would remove {home} ({megabytes:.1f} MB): confirm with --yes")
        click.confirm(
            f"Remove {home} ({megabytes:.1f} MB: runs, models, data)?", abort=True, default=False
        )
    cleaning.remove(home)
    console.print(f"[green]removed[/] {home} ({megabytes:.1f} MB)")


def register(group: click.Group) -> None:
    for command in (up, status, down, clean):
        group.add_command(command)
