"""`lab status`: each process's state, PID, uptime, restarts and memory, from the run record.

The state is what `lab up` last saw (lab/orchestration/policy.py). RSS is measured now, for the
process and everything below it; the total adds `lab up` itself. With no `lab up` running, each
service is probed on its URL instead (something started by hand still shows as healthy).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import psutil

from lab.orchestration import runfile
from lab.orchestration.health import State, client, probe
from lab.orchestration.services import Service
from lab.procs import tree_rss


@dataclass
class Row:
    name: str
    url: str
    state: str
    pid: int | None = None
    uptime: float | None = None  # seconds
    restarts: int = 0
    rss: int = 0  # bytes, the process and its descendants
    detail: str = ""

    def as_json(self) -> dict:
        return asdict(self)


def from_record(rec: runfile.RunRecord, services: Sequence[Service]) -> list[Row]:
    links = {s.name: s.link for s in services}
    now = time.time()
    rows = []
    for name, view in rec.processes.items():
        proc = view.live()
        rows.append(
            Row(
                name=name,
                url=rec.urls.get(name) or links.get(name, ""),
                state=view.state,
                pid=view.pid if proc is not None else None,
                uptime=now - view.started_at if proc is not None and view.started_at else None,
                restarts=view.restarts,
                rss=tree_rss(proc) if proc is not None else 0,
                detail=view.detail,
            )
        )
    return rows


def refresh_details(rows: list[Row], services: Sequence[Service]) -> None:
    """What each healthy service says now (the API's model may have changed since `lab up`
    recorded it)."""
    by_name = {s.name: s for s in services}
    with client() as http:
        for row in rows:
            service = by_name.get(row.name)
            if service is not None and row.state == "healthy":
                health = probe(http, service)
                row.detail = (
                    health.detail
                    if health.ok
                    else f"not answering ({health.detail or health.state.value})"
                )


def owner_rss(rec: runfile.RunRecord) -> int:
    """RSS of the `lab up` process alone (its children are counted in their rows)."""
    proc = rec.owner.live()
    if proc is None:
        return 0
    with contextlib.suppress(psutil.Error):
        return proc.memory_info().rss
    return 0


def probed(services: Sequence[Service], missing: dict[str, str]) -> list[Row]:
    """No `lab up` here: whether each service answers on its URL."""
    rows = []
    with client() as http:
        for s in services:
            if s.name in missing:
                rows.append(Row(s.name, s.link, "missing tool", detail=missing[s.name]))
                continue
            health = probe(http, s)
            state = "healthy" if health.state is State.HEALTHY else "stopped"
            rows.append(Row(s.name, s.link, state, detail=health.detail))
    return rows


def megabytes(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n else ""


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"
