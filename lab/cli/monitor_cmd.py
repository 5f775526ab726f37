"""`lab fetch`, `lab prometheus`, `lab grafana`: the monitoring tools as local processes."""

from __future__ import annotations

import sys
import time

import click
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)

from lab.cli._common import LabError, console, err_console, get_settings
from lab.envfile import add_secret
from lab.observability import fetch as fetching
from lab.observability import grafana as grafana_mod
from lab.observability import learner
from lab.observability import prometheus as prometheus_mod
from lab.observability.tools import (
    EMULATION,
    TOOL_NAMES,
    Platform,
    ToolConfigError,
    fetch_platform,
    find_binary,
    find_promtool,
    load_specs,
    missing_hint,
)
from lab.procs import idle_forever, replace_or_run
from lab.settings import env_file_path


@click.command("fetch")
@click.argument("tool", type=click.Choice([*TOOL_NAMES, "all"]))
@click.option(
    "--arch",
    type=click.Choice(["amd64", "arm64"]),
    help="Fetch the build for this CPU instead of this machine's: on Windows or macOS on Arm, "
    "`--arch amd64` fetches the x64 build, which runs there under emulation (Rosetta 2 on macOS).",
)
@click.option(
    "--deadline",
    type=click.FloatRange(min=1),
    default=fetching.DEFAULT_DEADLINE,
    show_default=True,
    help="Longest one download may take, in seconds (shown in the progress bar); each read "
    "also waits at most 30 s. Past it the download stops and nothing is installed.",
)
def fetch(tool: str, arch: str | None, deadline: float) -> None:
    """Download the official release archive of TOOL for this OS and CPU.

    The version and SHA-256 of each archive are pinned in config/tools.yml. The archive is
    verified before anything is unpacked into LAB_HOME/tools/TOOL, which is replaced in one
    step: a failed or interrupted fetch leaves the previous state untouched.
    """
    settings = get_settings()
    try:
        specs = load_specs(settings)
        native = Platform.current()
        plat = fetch_platform(arch, native)
    except ToolConfigError as exc:
        raise LabError(str(exc)) from None
    if plat != native:
        console.print(f"fetching {plat.key} builds: {EMULATION[plat.os]}")
    names = TOOL_NAMES if tool == "all" else (tool,)
    failures = []
    for name in names:
        spec = specs[name]
        columns = (
            TextColumn(f"{name} {spec.version}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[left]}"),
        )
        try:
            with Progress(*columns, console=console, transient=True) as bar:
                ends_at = time.monotonic() + deadline
                task = bar.add_task("download", total=None, left=_time_left(ends_at))

                def show(
                    done: int, total: int | None, _bar: Progress = bar, _task: TaskID = task,
                    _end: float = ends_at,
                ) -> None:  # fmt: skip
                    _bar.update(_task, completed=done, total=total, left=_time_left(_end))

                result = fetching.fetch(settings, spec, plat, progress=show, deadline=deadline)
        except (fetching.FetchError, ToolConfigError) as exc:
            console.print(f"[bold red]{name}:[/] {exc}", soft_wrap=True)
            failures.append(name)
            continue
        console.print(
            f"[green]installed[/] {name} {result.version} into {result.path} "
            f"(sha256 {result.sha256[:12]}… verified)",
            soft_wrap=True,
        )
    if failures:
        raise LabError(f"fetch failed for {', '.join(failures)}")


def _time_left(ends_at: float) -> str:
    """What the progress bar shows of the deadline: `deadline in 14:32`."""
    left = max(0, int(ends_at - time.monotonic()))
    return f"deadline in {left // 60}:{left % 60:02d}"


@click.command("prometheus")
@click.option(
    "--scrape-mlflow/--no-scrape-mlflow",
    default=True,
    show_default=True,
    help="Also scrape MLflow's /metrics (`lab mlflow` exposes it with --expose-prometheus).",
)
@click.option("--print-command", is_flag=True, help="Render the config, print the command, exit.")
def prometheus(scrape_mlflow: bool, print_command: bool) -> None:
    """Run Prometheus on PROMETHEUS_HOST:PROMETHEUS_PORT with the lab's config and rules.

    Renders config/prometheus.yml and config/prometheus/rules.yml into LAB_HOME/prometheus/
    (scraping the API, the CRM and MLflow every 5 s) and keeps the TSDB there. Without a binary
    (LAB_HOME/tools or PATH) it prints how to get one and stays idle.
    """
    settings = get_settings()
    project = learner.root()
    rules = None
    if project is not None:  # a workspace: the learner's rules, never the lab's
        found = learner.rule_files(project, find_promtool(settings))
        rules = found.loaded
        for name, said in found.left_out.items():
            err_console.print(f"[yellow]left out[/] {name} (promtool: {said})", soft_wrap=True)
        console.print(f"your rules: {', '.join(p.name for p in rules) or 'none yet'}")
    try:
        rendered = prometheus_mod.render(settings, scrape_mlflow=scrape_mlflow, learner_rules=rules)
    except prometheus_mod.PrometheusConfigError as exc:
        raise LabError(str(exc)) from None
    binary = find_binary(settings, "prometheus")
    if binary is None:
        if print_command:
            raise LabError(missing_hint("prometheus", idle=False))
        sys.exit(idle_forever(missing_hint("prometheus")))
    cmd = prometheus_mod.command(settings, binary, rendered)
    if print_command:
        click.echo(" ".join(cmd))
        return
    console.print(f"Prometheus on {settings.prometheus_url} (config {rendered.config})")
    sys.exit(replace_or_run(cmd))


@click.command("grafana")
@click.option("--print-command", is_flag=True, help="Write the files, print the command, exit.")
def grafana(print_command: bool) -> None:
    """Run Grafana on GRAFANA_HOST:GRAFANA_PORT, provisioned with the lab's dashboard.

    Writes LAB_HOME/grafana/grafana.ini (absolute paths, the admin password from .env,
    anonymous read-only access when bound to localhost) and the provisioning files from
    config/grafana/, then runs `grafana server --homepath ... --config ...`. Without a binary
    it prints how to get one and stays idle.
    """
    settings = get_settings()
    if not settings.GRAFANA_SECRET_KEY:
        add_secret(env_file_path(), "GRAFANA_SECRET_KEY")
        err_console.print(f"generated GRAFANA_SECRET_KEY into {env_file_path()}")
        settings = get_settings()
    binary = find_binary(settings, "grafana")
    try:
        project = learner.root()
        own = learner.dashboards_dir(project) if project is not None else None
        files = grafana_mod.write_files(settings, own)
    except grafana_mod.GrafanaConfigError as exc:
        raise LabError(str(exc)) from None
    if binary is None:
        if print_command:
            raise LabError(missing_hint("grafana", idle=False))
        sys.exit(idle_forever(missing_hint("grafana")))
    cmd = grafana_mod.command(binary, files)
    if print_command:
        click.echo(" ".join(cmd))
        return
    console.print(f"Grafana on {settings.grafana_url} (config {files.ini})")
    sys.exit(replace_or_run(cmd, cwd=grafana_mod.homepath(binary)))
