"""The table `lab up` and `lab status` print: each process, where to open it, its state."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table

from lab.orchestration.status import Row, duration, megabytes

STYLE = {
    "healthy": "green",
    "starting": "yellow",
    "restarting": "yellow",
    "stopped": "red",
    "crashed": "bold red",
    "missing tool": "magenta",
}


def status_table(rows: Iterable[Row], title: str = "mlops-lab", total_rss: int = 0) -> Table:
    rows = list(rows)
    table = Table(title=title, title_justify="left", header_style="bold", padding=(0, 1))
    widest = max((len(r.name) for r in rows), default=7)
    table.add_column("process", no_wrap=True, min_width=max(7, widest))
    table.add_column("URL", overflow="fold", min_width=12)
    table.add_column("state", no_wrap=True, min_width=12)
    table.add_column("pid", justify="right", no_wrap=True, min_width=5)
    table.add_column("up", justify="right", no_wrap=True, min_width=5)
    table.add_column("restarts", justify="right", no_wrap=True, min_width=8)
    table.add_column("RSS", justify="right", no_wrap=True, min_width=6)
    table.add_column("detail", overflow="fold")
    for row in rows:
        style = STYLE.get(row.state, "white")
        table.add_row(
            row.name,
            row.url,
            f"[{style}]{row.state}[/]",
            str(row.pid or ""),
            duration(row.uptime),
            str(row.restarts),
            megabytes(row.rss),
            row.detail,
        )
    if total_rss:
        table.add_section()
        table.add_row("total", "", "", "", "", "", megabytes(total_rss), "incl. `lab up` itself")
    return table
