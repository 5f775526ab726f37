"""The table `lab up` and `lab status` print: what to open, where, and whether it answers."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table

from lab.orchestration.health import Health, State
from lab.orchestration.services import Service

STYLE = {
    State.HEALTHY: "green",
    State.STARTING: "yellow",
    State.UNHEALTHY: "red",
    State.DOWN: "red",
    State.MISSING: "magenta",
}


def status_table(rows: Iterable[tuple[Service, Health]], title: str = "mlops-lab") -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("process", no_wrap=True)
    table.add_column("open")
    table.add_column("URL", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("detail", overflow="fold")
    for service, health in rows:
        style = STYLE[health.state]
        table.add_row(
            service.name,
            service.spec.title,
            service.link,
            f"[{style}]{health.state.value}[/]",
            health.detail,
        )
    return table
