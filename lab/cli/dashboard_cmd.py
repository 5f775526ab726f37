"""`lab dashboard`: generate the Grafana dashboard JSON from code."""

from __future__ import annotations

import click

from lab.cli._common import LabError, console, get_settings


@click.command("dashboard")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; fail if the file differs from what the code generates.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Where to write (default: config/grafana/dashboards/mlops-lab.json).",
)
def dashboard(check: bool, output: str | None) -> None:
    """Build the lab's Grafana dashboard with grafana-foundation-sdk and write it as JSON.

    Grafana loads it through the file provider in config/grafana/provisioning. Change the
    dashboard in lab/observability/dashboard.py, then run this; commit both.
    """
    from pathlib import Path

    from lab.observability import dashboard as dashboard_mod  # the SDK is slow to import

    path = Path(output) if output else dashboard_mod.output_path(get_settings())
    if check:
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != dashboard_mod.render():
            raise LabError(f"{path} is not what the code generates: run `lab dashboard`")
        console.print(f"[green]up to date[/] {path}")
        return
    changed = dashboard_mod.write(path)
    panels = len(dashboard_mod.expressions(dashboard_mod.build()))
    state = "wrote" if changed else "unchanged"
    console.print(f"[green]{state}[/] {path} ({panels} queries)")
