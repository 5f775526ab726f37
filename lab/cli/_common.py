"""Helpers shared by the CLI verbs: settings with friendly errors, the console."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console

from lab.settings import Settings, SettingsError, load_settings

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def get_settings(**overrides: Any) -> Settings:
    """Settings, or a one-line error naming the bad key (exit code 2), never a traceback."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None


def course_dir(settings: Settings, project_dir: Path | None = None) -> Path | None:
    """The course folder in use: the one the workspace (at `project_dir`, default the working
    folder) names, else LAB_COURSE; None: the lab's own course."""
    from lab import workspace

    try:
        ws = workspace.find(project_dir)
    except workspace.WorkspaceError:
        ws = None
    if ws is not None and ws.course_dir is not None:
        return ws.course_dir
    return settings.LAB_COURSE


def default_rubric(settings: Settings, project_dir: Path | None = None) -> Path:
    """The public rubric `lab check` and `lab grade` use without `--rubric`: the course's (the
    workspace's course, or LAB_COURSE) when it has its own, else LAB_CONFIG_DIR/rubric.yml."""
    chosen = course_dir(settings, project_dir)
    if chosen is None:
        return settings.LAB_CONFIG_DIR / "rubric.yml"
    from lab.exercises import course

    try:
        return course.load(chosen).rubric_file(settings.LAB_CONFIG_DIR)
    except course.CourseError as exc:
        raise LabError(str(exc)) from None


class LabError(click.ClickException):
    """An expected failure: printed as one line, exit code 1."""

    def show(self, file=None) -> None:
        err_console.print(f"[bold red]error:[/] {self.format_message()}")
