"""What `lab up` tells the learner while it runs (lab.orchestration.lifecycle.Reporter)."""

from __future__ import annotations

import psutil
from rich.table import Table

from lab.cli._common import console, err_console
from lab.orchestration import output, runfile, status
from lab.orchestration.services import Service
from lab.orchestration.table import status_table


class Reporter:
    """How `lab up` tells the learner what happens (lifecycle.Reporter).

    Every print survives a terminal that went away (closed window, `| tee` gone): the shutdown
    goes on silently instead of dying on the write.
    """

    def __init__(self, services: list[Service]) -> None:
        self._services = services
        for c in (console, err_console):
            c.on_broken_pipe = self._gone  # type: ignore[method-assign]  # rich's would exit

    def _gone(self) -> None:
        console.quiet = err_console.quiet = True
        output.silence_terminal()

    def _say(self, *things: object, err: bool = False) -> None:
        try:
            (err_console if err else console).print(*things)
        except (OSError, ValueError):
            self._gone()

    def _table(self, record: runfile.RunRecord, title: str) -> Table:
        rows = status.from_record(record, self._services)
        total = sum(r.rss for r in rows) + status.owner_rss(record)
        return status_table(rows, title=title, total_rss=total)

    def healthy(self, name: str, link: str, detail: str, seconds: float) -> None:
        self._say(f"[green]✓[/] {name} healthy at {link} ({seconds:.1f} s)")

    def all_healthy(self, record: runfile.RunRecord, seconds: float) -> None:
        self._say(self._table(record, f"mlops-lab is up ({seconds:.1f} s)"))
        self._say(
            "Ctrl-C (or `lab down` in another terminal) stops every process; "
            "`lab stop|start|restart|logs NAME` acts on one."
        )

    def timed_out(self, record: runfile.RunRecord, seconds: float) -> None:
        self._say(self._table(record, f"still starting after {seconds:.0f} s"))
        self._say("[yellow]Not healthy yet; still waiting.[/] The log is above.")

    def crashed(self, name: str, tail: str) -> None:
        self._say(
            f"[bold red]crashed:[/] {name} exited 5 times within 2 minutes; it stays stopped "
            "while the other processes run. The last lines of its log:",
            err=True,
        )
        self._say(tail or "(no output)", err=True)
        self._say(f"Fix it, then `lab start {name}` (full log: `lab logs {name}`).", err=True)

    def stopping(self) -> None:
        self._say("stopping every process…")

    def stopped(self, survivors: list[psutil.Process]) -> None:
        if survivors:
            pids = ", ".join(str(p.pid) for p in survivors)
            self._say(f"[bold red]error:[/] could not stop PIDs {pids}", err=True)
        else:
            self._say("stopped; no process left behind")
