"""Helpers shared by the CLI verbs: settings with friendly errors, the console."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

import click
from rich.console import Console
from rich.markup import escape

from lab.settings import Settings, SettingsError, load_settings

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def get_settings(**overrides: Any) -> Settings:
    """Settings, or a one-line error naming the bad key (exit code 2), never a traceback."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None


def signing_settings(**overrides: Any) -> Settings:
    """`get_settings()`, with LAB_SIGNING_KEY generated into .env first when it is missing (a
    .env written before the key existed): `lab train`, `lab rollout`, `lab serve` and `lab up`
    need it, and every later start reads the same value."""
    settings = get_settings(**overrides)
    if settings.LAB_SIGNING_KEY:
        return settings
    from lab.envfile import add_secret
    from lab.settings import env_file_path

    add_secret(env_file_path(), "LAB_SIGNING_KEY")
    err_console.print(f"generated LAB_SIGNING_KEY into {env_file_path()}")
    return get_settings(**overrides)


def course_dir(settings: Settings, project_dir: Path | None = None) -> Path | None:
    """The course folder in use: LAB_COURSE when set (an instructor's, e.g. `lab grade`), else
    the one the workspace (at `project_dir`, default the working folder) names; None: the lab's
    own course."""
    if settings.LAB_COURSE is not None:
        return settings.LAB_COURSE
    from lab import workspace

    try:
        ws = workspace.find(project_dir)
    except workspace.WorkspaceError:
        return None
    return ws.course_dir if ws is not None else None


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


def default_lang() -> str:
    """zh-TW when LANG says so (zh_TW.UTF-8, zh-TW), else en."""
    return "zh-TW" if os.environ.get("LANG", "").lower().startswith(("zh_tw", "zh-tw")) else "en"


class LabError(click.ClickException):
    """An expected failure: printed as one line, exit code 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        err_console.print(f"[bold red]error:[/] {self.format_message()}")


def lab_invocation() -> str:
    """How to run this lab from any folder, as a learner can type it: `lab` when that name on
    PATH is this lab, else the full path of this lab's launcher, else `python -m lab`."""
    import shlex
    import shutil
    import sys
    from pathlib import Path

    scripts = Path(sys.executable).parent
    launcher = next(
        (p for p in (scripts / "lab", scripts / "lab.exe") if p.is_file()), None
    )  # fmt: skip
    on_path = shutil.which("lab")
    if on_path and launcher and Path(on_path).resolve() == launcher.resolve():
        return "lab"
    from lab.procs import quote_arg

    quote = quote_arg if sys.platform == "win32" else shlex.quote
    if launcher is not None:
        return quote(str(launcher))
    return f"{quote(sys.executable)} -m lab"


def warn_in_workspace(verb: str) -> str | None:
    """`lab serve` and `lab train` run the lab's reference code. Inside a learner's workspace,
    warn (stderr) that they do not run the learner's, and name the command that does; the
    warning, or None outside a workspace (or where that part is not the learner's)."""
    from lab import workspace

    try:
        ws = workspace.find()
    except workspace.WorkspaceError:
        return None
    if ws is None:
        return None
    if verb == "serve":
        own = ws.learner_processes.get("api")
        if own is None:
            return None
        text = (
            f"`lab serve` runs the lab's reference API, not your code in {ws.root}: your API "
            f"runs with `lab up` (alone: `lab start api`, `lab restart api`), i.e. `{own}`"
        )
    else:
        own = ws.commands.get("train") or "python -m training.train"
        text = (
            f"`lab train` runs the lab's reference training, not your code in {ws.root}, and "
            f"may overwrite the model file yours should write: run `{own}` instead"
        )
    err_console.print(f"[yellow]warning:[/] {escape(text)}", soft_wrap=True)
    return text
