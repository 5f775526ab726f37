"""`lab status`, `lab stop|start|restart NAME`, `lab logs NAME`: one process of a running lab.

They act on the lab whose run record is in LAB_HOME/run (a `lab up` in another terminal).
Exit codes: 0 done; 1 it failed (with the tail of the process's log) or no lab runs here;
2 an unknown process name (the names are listed).
"""

from __future__ import annotations

import json
import sys

import click

from lab.cli._common import LabError, console, get_settings
from lab.orchestration import logfile, preflight, remote, runfile, status
from lab.orchestration.output import log_path
from lab.orchestration.services import services
from lab.orchestration.supervisor import tail
from lab.orchestration.table import status_table
from lab.settings import Settings

UNKNOWN_NAME = 2


def _record() -> tuple[Settings, runfile.RunRecord]:
    settings = get_settings()
    try:
        return settings, remote.running_record(settings.run_dir)
    except remote.NoLab as exc:
        raise LabError(str(exc)) from None


def _fail_unknown(exc: remote.UnknownProcess) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(UNKNOWN_NAME)


def _act(name: str, action: str) -> None:
    settings, rec = _record()
    try:
        remote.check_name(rec, name)
        service = next(iter(services(settings, (name,))), None)
        if action == "stop":
            result = remote.stop(settings.run_dir, name, service)
        else:
            result = remote.start(settings.run_dir, name, action)
    except remote.UnknownProcess as exc:
        _fail_unknown(exc)
        return
    except (remote.NoLab, TimeoutError) as exc:
        raise LabError(str(exc)) from None
    if not result.ok:
        if result.log_tail:
            click.echo(f"--- last lines of `lab logs {name}` ---\n{result.log_tail}", err=True)
        raise LabError(result.message)
    console.print(f"[green]{result.message}[/]")


@click.command("stop")
@click.argument("name")
def stop(name: str) -> None:
    """Stop one process of the running lab (its whole tree); it stays stopped until started.

    Returns once it has stopped and its port is closed. Example: `lab stop crm`."""
    _act(name, "stop")


@click.command("start")
@click.argument("name")
def start(name: str) -> None:
    """Start one process of the running lab; returns once it is healthy (up to 60 s).

    Also the way to retry a process that `lab status` shows as crashed."""
    _act(name, "start")


@click.command("restart")
@click.argument("name")
def restart(name: str) -> None:
    """Stop and start one process (after editing the API, say); returns once it is healthy."""
    _act(name, "restart")


@click.command("logs")
@click.argument("name")
@click.option("-n", "lines", default=50, show_default=True, type=click.IntRange(0), help="Lines.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines (Ctrl-C to stop).")
def logs(name: str, lines: int, follow: bool) -> None:
    """Show the log of one process (LAB_HOME/run/logs/NAME.log), also after the lab stopped."""
    settings = get_settings()
    rec = runfile.read(settings.run_dir)
    folder = settings.run_dir / "logs"
    known = sorted({p.stem for p in folder.glob("*.log")} | set(rec.processes if rec else ()))
    if name not in known:
        if not known:
            raise LabError("no lab has run here yet: start it with `lab up` (or `bin/lab up`)")
        _fail_unknown(remote.UnknownProcess(name, known))
    path = log_path(settings.run_dir, name)
    text = tail(path, lines) if lines else ""
    if text:
        click.echo(text)
    if not follow:
        return
    try:
        logfile.follow(path, lambda text: click.echo(text, nl=False))
    except KeyboardInterrupt:
        return


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def status_cmd(as_json: bool) -> None:
    """Show each process: state, URL, PID, uptime, restarts and memory (RSS), and the total.

    States: healthy, starting, restarting, stopped, crashed, missing tool."""
    settings = get_settings()
    wanted = services(settings)
    rec = runfile.read(settings.run_dir)
    if rec is not None and rec.running():
        rows = status.from_record(rec, wanted)
        status.refresh_details(rows, wanted)
        total = sum(r.rss for r in rows) + status.owner_rss(rec)
        title = f"mlops-lab status — started by `lab up` (pid {rec.pid})"
    else:
        rows = status.probed(wanted, preflight.missing_tools(settings, wanted))
        total = 0
        title = "mlops-lab status — not started by `lab up` here"
    if as_json:
        payload = {
            "lab_up_pid": rec.pid if rec is not None and rec.running() else None,
            "processes": {r.name: r.as_json() for r in rows},
            "total_rss": total,
        }
        click.echo(json.dumps(payload, indent=2))
        return
    console.print(status_table(rows, title=title, total_rss=total))
    if not any(r.state == "healthy" for r in rows):
        console.print("Nothing answers: start the lab with `lab up`.")


status_cmd.name = "status"
