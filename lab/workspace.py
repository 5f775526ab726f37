"""A learner's workspace: the folder whose `workspace.toml` says which exercises it holds.

    [workspace]
    modules = ["M4"]        # the exercises this workspace holds (the learner's work)
    course = ".course"      # the course it follows, when not the lab's (a release's copy)
    [processes]             # Procfile processes that run the learner's code; others: the lab's
    api = "python -m uvicorn app.main:app --host {API_HOST} --port {API_PORT}"
    [commands]              # one-step commands the checks and `lab up` may run in the workspace
    train = "python -m training.train --n_samples 1000 --c_param 1.0"

`lab up`, `lab check`, `lab hint` and `lab grade` read that file only through this module, which
imports nothing above the settings. Placeholders (`{API_PORT}`, `{WORKSPACE}`, ...) are filled
from the settings the workspace's `.env` gives.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lab.settings import Settings, load_settings

FILE_NAME = "workspace.toml"
#: a module id of a course (its course.yml names them: M1..M6 in the lab's, W1 or week_3 in
#: another); the one pattern course.yml, the markers and the rubric share
MODULE_PATTERN = r"[A-Za-z][A-Za-z0-9_]{0,29}"
MODULE_ID = re.compile(rf"^{MODULE_PATTERN}$")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class WorkspaceError(ValueError):
    """workspace.toml is unreadable or says something the lab cannot use; one line, with the fix."""


@dataclass(frozen=True)
class Workspace:
    """A parsed workspace.toml and the folder it sits in."""

    root: Path
    modules: tuple[str, ...]
    learner_processes: dict[str, str] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)
    python: str | None = None  # the interpreter that runs the learner's code (default: the lab's)
    course: str | None = None  # the course folder, relative to the root (None: the lab's course)

    @property
    def toml_path(self) -> Path:
        return self.root / FILE_NAME

    @property
    def env_file(self) -> Path:
        return self.root / ".env"

    @property
    def course_dir(self) -> Path | None:
        """The course this workspace follows, when it names one (else the lab's)."""
        return (self.root / self.course).resolve() if self.course else None

    def settings(self) -> Settings:
        """The settings of this workspace (its `.env`; the environment still wins)."""
        return load_settings(env_file=self.env_file)

    def placeholders(self, settings: Settings | None = None) -> dict[str, str]:
        """What `{NAME}` may stand for in a command: every setting, plus WORKSPACE and PYTHON."""
        values = {k: str(v) for k, v in (settings or self.settings()).model_dump().items()}
        values["WORKSPACE"] = str(self.root)
        values["PYTHON"] = self.python or sys.executable
        return values

    def processes(self, base: dict[str, str], settings: Settings | None = None) -> dict[str, str]:
        """The Procfile's name -> command, with the learner's commands in place of the lab's.

        Processes the workspace names but the Procfile lacks are added at the end.
        """
        values = self.placeholders(settings)
        merged = dict(base)
        for name, command in self.learner_processes.items():
            filled = fill(command, values)
            head, _, rest = filled.partition(" ")
            if head == "python" and self.python:
                filled = f"{_quote(self.python)} {rest}".rstrip()
            merged[name] = filled
        return merged

    def command(self, name: str, settings: Settings | None = None) -> list[str] | None:
        """A `[commands]` entry as an argument list (placeholders filled), or None if absent."""
        raw = self.commands.get(name)
        return None if raw is None else self.args(raw, settings)

    def process_args(self, name: str, settings: Settings | None = None) -> list[str] | None:
        """A learner's `[processes]` entry as an argument list, or None if it has none."""
        raw = self.learner_processes.get(name)
        return None if raw is None else self.args(raw, settings)

    def args(self, raw: str, settings: Settings | None = None) -> list[str]:
        """`raw` split as a POSIX shell would, then each word filled (no quoting needed)."""
        values = self.placeholders(settings)
        args = [fill(word, values, quote=False) for word in shlex.split(raw)]
        if args and args[0] == "python":
            args[0] = self.python or sys.executable
        return args

    def run(self, name: str, *, timeout: float = 600) -> subprocess.CompletedProcess[str] | None:
        """Run a `[commands]` entry in the workspace folder; None when it has no such command."""
        args = self.command(name)
        if args is None:
            return None
        return subprocess.run(
            args, cwd=self.root, capture_output=True, text=True, timeout=timeout, check=False
        )


def fill(command: str, values: Mapping[str, str], *, quote: bool = True) -> str:
    """`command` with each `{NAME}` replaced; an unknown name is a WorkspaceError."""

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise WorkspaceError(f"{FILE_NAME}: unknown placeholder {{{key}}} in {command!r}")
        value = values[key]
        return _quote(value) if quote and key in ("WORKSPACE", "PYTHON") else value

    return _PLACEHOLDER.sub(one, command)


def _quote(value: str) -> str:
    if sys.platform == "win32":
        return subprocess.list2cmdline([value])
    return shlex.quote(value)


#: What marks a project's root: `find` never looks above the folder holding one of these.
ROOT_MARKERS = ("pyproject.toml", ".git")


def find(start: Path | None = None, *, root: Path | None = None) -> Workspace | None:
    """The workspace holding `start` (default: the working folder); None if none.

    It walks up from `start` to the project's root (the first folder holding `pyproject.toml`
    or `.git`), never above it: a `workspace.toml` another user left in a shared parent folder
    (/tmp) is never picked up. `root` (what `lab grade` passes) is the one folder looked at.
    """
    if root is not None:
        folder = root.resolve()
        return load(folder) if (folder / FILE_NAME).is_file() else None
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / FILE_NAME).is_file() and _owned(folder / FILE_NAME):
            return load(folder)
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return None
    return None


def _owned(path: Path) -> bool:
    """Whether `path` is the current user's (always on Windows): another user's file in a
    shared folder says nothing about this project."""
    getuid = getattr(os, "getuid", None)
    return getuid is None or path.stat().st_uid == getuid()


def load(root: Path) -> Workspace:
    """Parse `root/workspace.toml`; WorkspaceError names what is wrong."""
    path = root / FILE_NAME
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise WorkspaceError(f"cannot read {path}: {exc}") from None
    section = doc.get("workspace", {})
    modules = section.get("modules", []) if isinstance(section, dict) else None
    if not isinstance(modules, list) or not all(
        isinstance(m, str) and MODULE_ID.match(m) for m in modules
    ):
        raise WorkspaceError(
            f"{path}: [workspace] modules must be a list of the course's module ids (e.g. M1)"
        )
    python = section.get("python")
    if python is not None and not (isinstance(python, str) and python.strip()):
        raise WorkspaceError(f"{path}: [workspace] python must be the path of an interpreter")
    course = section.get("course")
    if course is not None and not (
        isinstance(course, str) and course.strip() and ".." not in Path(course).parts
    ):
        raise WorkspaceError(f"{path}: [workspace] course must be a folder inside the workspace")
    return Workspace(
        root=root.resolve(),
        python=python,
        course=course,
        modules=tuple(dict.fromkeys(modules)),
        learner_processes=_table(doc, "processes", path),
        commands=_table(doc, "commands", path),
    )


def _table(doc: dict[str, object], name: str, path: Path) -> dict[str, str]:
    table = doc.get(name, {})
    if not isinstance(table, dict) or not all(
        isinstance(k, str) and _NAME.match(k) and isinstance(v, str) and v.strip()
        for k, v in table.items()
    ):
        raise WorkspaceError(f"{path}: [{name}] must map lower-case names to non-empty commands")
    return dict(table)


def render(
    modules: list[str],
    processes: dict[str, str],
    commands: dict[str, str],
    python: str | None = None,
    *,
    todos: Mapping[str, str] | None = None,
    course: str | None = None,
) -> str:
    """workspace.toml text for these values (what `lab exercise start` writes); `todos` maps a
    section name to a comment line ending that section (what the learner is to add there)."""
    todos = todos or {}
    lines = [
        "# What this workspace is: read by `lab up`, `lab check`, `lab hint` and `lab grade`.",
        "[workspace]",
        f"modules = [{', '.join(_toml_str(m) for m in modules)}]",
        *([f"python = {_toml_str(python)}"] if python else []),
        *([f"course = {_toml_str(course)}"] if course else []),
        *([todos["workspace"]] if "workspace" in todos else []),
        "",
        "# Procfile processes that run YOUR code; the lab runs the others (mlflow, crm, ...).",
        "[processes]",
        *(f"{k} = {_toml_str(v)}" for k, v in processes.items()),
        *([todos["processes"]] if "processes" in todos else []),
        "",
        "# One-step commands of this project (run from this folder).",
        "[commands]",
        *(f"{k} = {_toml_str(v)}" for k, v in commands.items()),
        *([todos["commands"]] if "commands" in todos else []),
    ]
    return "\n".join(lines) + "\n"


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
