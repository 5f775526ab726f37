"""`lab up`, `lab down`, `lab clean`: the whole lab with one command.

`lab status|stop|start|restart|logs` (one process at a time) are in lab/cli/proc_cmd.py."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click

from lab.cli._common import LabError, console, get_settings, signing_settings
from lab.cli.up_reporter import Reporter
from lab.files import private_dir
from lab.orchestration import clean as cleaning
from lab.orchestration import down as downing
from lab.orchestration import firstmodel, lifecycle, output, preflight, procfile, runfile
from lab.orchestration.services import Service, services
from lab.orchestration.signals import stop_requested
from lab.orchestration.supervisor import Supervisor
from lab.settings import Settings, env_file_path


def _running_lab(settings: Settings) -> runfile.RunRecord | None:
    rec = runfile.read(settings.run_dir)
    return rec if rec is not None and rec.running() else None


@dataclass
class _Plan:
    processes: dict[str, str]  # name -> command, the chosen ones
    wanted: list[Service]
    cwd: Path | None = None  # a workspace's folder: its commands run there
    env_file: Path | None = None  # a workspace's .env
    train: list[str] | None = None  # a workspace's own first-model command


def _train_first_model(settings: Settings, env: dict[str, str], plan: _Plan) -> bool:
    """The first model (lab.orchestration.firstmodel.train_first), with this plan's workspace."""
    try:
        return firstmodel.train_first(settings, env, plan.train, plan.cwd, say=console.print)
    except firstmodel.FirstModelError as exc:
        raise LabError(str(exc)) from None


def _plan(settings: Settings, procfile_path: Path | None, names: tuple[str, ...]) -> _Plan:
    try:
        path = procfile_path or procfile.find()
        processes = procfile.load(path)
    except procfile.ProcfileError as exc:
        raise LabError(str(exc)) from None
    plan = _Plan(processes, [])
    _in_workspace(plan, settings)
    unknown = [n for n in names if n not in plan.processes]
    if unknown:
        raise LabError(f"{', '.join(unknown)}: not in {path} (it has {', '.join(plan.processes)})")
    chosen = names or tuple(plan.processes)
    plan.processes = {n: c for n, c in plan.processes.items() if n in chosen}
    plan.wanted = services(settings, chosen)
    return plan


def _in_workspace(plan: _Plan, settings: Settings) -> None:
    """In a learner's workspace, its own commands replace the Procfile's (SPEC contract 2)."""
    from lab import workspace

    try:
        found = workspace.find(Path.cwd())
        if found is None:
            return
        plan.processes = found.processes(plan.processes, settings)
        plan.train = found.command("train", settings)
    except workspace.WorkspaceError as exc:
        raise LabError(str(exc)) from None
    plan.cwd, plan.env_file = found.root, found.env_file


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
@click.option(
    "--verbose", is_flag=True, help="Louder processes: MLflow's access log on (as LOG_LEVEL=DEBUG)."
)
@click.option("--no-train", is_flag=True, help="Do not train a first model when there is none.")
def up(
    process_names: tuple[str, ...], procfile_path: Path | None, timeout: float, quiet: bool,
    verbose: bool, no_train: bool,
) -> None:  # fmt: skip
    """Start the whole lab: MLflow, CRM, API, Prometheus, Grafana and lab home (the Procfile).

    Before starting it writes `.env` if missing (as `lab init`), trains a first model if there
    is none, checks every port is free and reports tools that are missing (no process is held
    for those). Then it waits until every process answers its health URL and prints where to
    open each one.

    Each process is supervised on its own: one that exits is restarted (after 1, 2, 4 … 30 s);
    after 5 exits within 2 minutes it is left `crashed` while the others run. From another
    terminal, `lab stop|start|restart|logs NAME` act on one process and `lab status` shows them
    all. Ctrl-C, SIGTERM, a closed terminal (SIGHUP) or `lab down` stops every process it
    started. Name processes (e.g. `lab up mlflow api`) to start only those. Output goes to the
    terminal, to LAB_HOME/run/lab.log and to LAB_HOME/run/logs/NAME.log.
    """
    started = time.monotonic()
    if preflight.ensure_env_file(env_file_path()):
        console.print(f"[green]wrote[/] {env_file_path()} (secrets generated, as `lab init`)")
    settings = signing_settings()
    running = _running_lab(settings)
    if running is not None:
        raise LabError(
            f"a lab is already running (`lab up`, pid {running.pid}): `lab status` shows it, "
            "`lab down` stops it"
        )
    plan = _plan(settings, procfile_path, process_names)
    processes, wanted = plan.processes, plan.wanted
    missing = preflight.missing_tools(settings, wanted)
    errors, warnings = preflight.port_problems(wanted, missing, settings.run_dir)
    if errors:
        raise LabError("\n  ".join(["ports in use, nothing started:", *errors]))
    for name, hint in missing.items():
        console.print(f"[magenta]missing:[/] {name} — {hint}; no process is started for it")
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "LAB_ENV_FILE": str((plan.env_file or env_file_path()).resolve()),
        **({"LAB_VERBOSE": "1"} if verbose else {}),
    }
    if not no_train and _train_first_model(settings, env, plan):
        started = time.monotonic()  # the start time is measured with a model present
    run_dir = settings.run_dir
    # runtime files (logs, the run record, control requests) are the learner's own: 0700
    private_dir(settings.LAB_HOME)
    private_dir(run_dir)
    names = list(processes)
    sink = output.Output(run_dir, names, None if quiet else output.Terminal())
    sup = Supervisor(
        procfile.commands(processes), run_dir, env, sink, missing=missing, cwd=plan.cwd
    )
    console.print(f"starting {', '.join(names)} (log: {sup.log_path}, per process: lab logs NAME)")

    def missing_now(name: str) -> str | None:
        return preflight.missing_tools(settings, services(settings, (name,))).get(name)

    reporter = Reporter(wanted)
    with stop_requested(restore=False) as stop:  # a Ctrl-C after the stop is ignored too
        run = lifecycle.LabRun(sup, wanted, reporter, started, timeout, missing_now=missing_now)
        outcome = run.run(stop)
    if outcome.healthy_after is not None:
        reporter._say(f"time from `lab up` to all healthy: {outcome.healthy_after:.1f} s")
    sys.exit(outcome.exit_code)


@click.command("first-model", hidden=True)
@click.pass_context
def first_model(ctx: click.Context) -> None:
    """Train with `lab train`'s defaults when there is no model (`lab up` runs it as a child)."""
    if firstmodel.has_model(get_settings()):
        sys.exit(firstmodel.HAD_MODEL)
    from lab.cli.train_cmd import train

    console.print("No model yet (no model file, no champion): training one.")
    ctx.invoke(train)


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
