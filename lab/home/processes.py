"""Part 1 of the page, the lab: each process live, its last log lines, and the actions on it.

Rows come from the run record of `lab up` (lab/orchestration/status.py, the same as `lab
status`); actions go through the lab's own process control (lab/orchestration/remote.py, the
same as `lab stop|start|restart NAME`), so the page can do nothing a terminal could not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lab.orchestration import preflight, remote, runfile, status
from lab.orchestration.output import log_path
from lab.orchestration.services import Service, services
from lab.orchestration.supervisor import tail
from lab.settings import Settings

ACTIONS = ("stop", "start", "restart")
LOG_LINES = 12
#: The page's own process: stopping it from the page would leave the learner with no page.
SELF = "home"


class ActionRefused(ValueError):
    """An action the page does not take; the message says why and what to do instead."""


@dataclass(frozen=True)
class Link:
    name: str
    title: str
    url: str
    why_not: str  # "" when it can be opened

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "url": self.url, "why_not": self.why_not}


def _link(service: Service, row: status.Row | None, lab_runs: bool) -> Link:
    if row is None:
        why = "not part of this lab (not in its Procfile)" if lab_runs else "no lab is running"
    elif row.state == "healthy":
        why = ""
    elif row.state == "missing tool":
        why = f"not installed: {row.detail}" if row.detail else "its tool is not installed"
    else:
        why = f"{service.name} is {row.state}" + (f": {row.detail}" if row.detail else "")
    return Link(service.name, service.spec.title, service.link, why)


def snapshot(settings: Settings, log_lines: int = LOG_LINES) -> dict[str, Any]:
    """Every process (state, pid, uptime, restarts, RSS, last log lines) and the links."""
    wanted = services(settings)
    rec = runfile.read(settings.run_dir)
    lab_runs = rec is not None and rec.running()
    if rec is not None and lab_runs:
        rows = status.from_record(rec, wanted)
        total = sum(r.rss for r in rows) + status.owner_rss(rec)
    else:
        rows = status.probed(wanted, preflight.missing_tools(settings, wanted))
        total = 0
    by_name = {r.name: r for r in rows}
    procs = []
    for row in rows:
        item = row.as_json()
        item["uptime_text"] = status.duration(row.uptime)
        item["rss_text"] = status.megabytes(row.rss)
        item["log"] = tail(log_path(settings.run_dir, row.name), log_lines) if log_lines else ""
        item["controllable"] = lab_runs and row.name != SELF
        procs.append(item)
    links = [_link(s, by_name.get(s.name), lab_runs).as_json() for s in wanted if s.name != SELF]
    return {
        "lab_up_pid": rec.pid if rec is not None and lab_runs else None,
        "processes": procs,
        "links": links,
        "total_rss": total,
        "total_rss_text": status.megabytes(total),
    }


def act(settings: Settings, name: str, action: str) -> remote.Result:
    """Stop, start or restart one process through the running `lab up`; waits like the CLI."""
    if action not in ACTIONS:
        raise ActionRefused(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
    if name == SELF:
        raise ActionRefused(
            f"this page runs as `{SELF}`: stop or restart it from a terminal (`lab {action} home`)"
        )
    rec = remote.running_record(settings.run_dir)  # NoLab: no `lab up` here
    remote.check_name(rec, name)  # UnknownProcess
    if action == "stop":
        service = next(iter(services(settings, (name,))), None)
        return remote.stop(settings.run_dir, name, service)
    return remote.start(settings.run_dir, name, action)
