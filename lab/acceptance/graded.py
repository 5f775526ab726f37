"""The project `lab check` grades: its folder, what kind it is, its interpreter and its `.env`.

A project is a folder holding `pyproject.toml` (e.g. a clone of this lab) or `workspace.toml`
(a learner's workspace, read through `lab.workspace`). Every file check and the interpreter
check read from it, never from the grader's own checkout or interpreter.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from lab import workspace as _workspace
from lab.settings import Settings, lab_roots, load_settings

MARKERS = ("workspace.toml", "pyproject.toml")


def is_project(folder: Path) -> bool:
    return any((folder / name).is_file() for name in MARKERS)


def lab_checkout() -> Path:
    """The lab's own files this package runs with: its checkout, or the copy a wheel installed
    (`lab/_repo/`, with the checkout's config/, docs/ and Procfile), not site-packages."""
    return lab_roots()[0]


@dataclass(frozen=True)
class GradedProject:
    root: Path
    kind: str  # "workspace", "project" or "lab checkout"
    workspace: _workspace.Workspace | None
    python: Path | None
    python_note: str  # where the interpreter came from, or why there is none
    env_file: Path

    def describe(self) -> str:
        modules = self.workspace.modules if self.workspace is not None else None
        extra = f" (modules {', '.join(modules)})" if modules else ""
        return f"{self.kind} {self.root}{extra}"


def find_workspace(folder: Path) -> _workspace.Workspace | None:
    if not (folder / "workspace.toml").is_file():
        return None
    return _workspace.find(root=folder)  # the project's root, never a folder above it


def resolve(
    project_dir: Path | None, python: Path | None, cwd: Path | None = None
) -> GradedProject:
    """The project to grade: `project_dir`, else `cwd` when it holds a project, else the checkout
    of this lab."""
    cwd = (cwd or Path.cwd()).resolve()
    if project_dir is not None:
        root = project_dir.resolve()
    elif is_project(cwd):
        root = cwd
    else:
        root = lab_checkout()
    ws = find_workspace(root)
    if ws is not None:
        root = Path(ws.root).resolve()
    kind = "workspace" if ws is not None else "project"
    if ws is None and root == lab_checkout():
        kind = "lab checkout"
    interpreter, note = project_python(root, ws, python)
    env_file = ws.env_file if ws is not None else root / ".env"
    if project_dir is None and ws is None and os.environ.get("LAB_ENV_FILE"):
        env_file = Path(os.environ["LAB_ENV_FILE"])  # the .env the lab itself reads
    return GradedProject(root, kind, ws, interpreter, note, env_file)


#: why a workspace has no interpreter, and how to give it one (M1's install step)
NO_WORKSPACE_PYTHON = (
    "the workspace names none: do M1's install step (`python -m venv .venv`, then "
    '`.venv/bin/pip install -e .`) or name one in workspace.toml (`python = "/path/to/python"`)'
)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def project_python(
    root: Path, ws: _workspace.Workspace | None, given: Path | None
) -> tuple[Path | None, str]:
    """(the project's interpreter, where it came from) or (None, why there is none)."""
    if given is not None:
        return (given, "--python") if given.exists() else (None, f"--python {given} does not exist")
    named = ws.python if ws is not None else None
    if named:
        path = Path(named) if Path(named).is_absolute() else root / named
        return (path, "workspace.toml") if path.exists() else (None, f"{path} does not exist")
    for venv in (root / ".venv", root / "venv"):
        if venv_python(venv).exists():
            return venv_python(venv), f"{venv.name}/"
    if root == lab_checkout():
        # the checkout grades itself with the interpreter it runs in, which is its own
        return Path(sys.executable), "the interpreter running this lab checkout"
    if ws is not None:
        # naming the interpreter is the learner's part (M1): the lab's would pass it for them
        return None, NO_WORKSPACE_PYTHON
    return None, f"no .venv in {root}"


def project_settings(
    project: GradedProject, base: Settings, lab_home: Path | None = None, *,
    explicit: bool = False,
) -> Settings:  # fmt: skip
    """Settings as the project's lab reads them: its `.env`, LAB_HOME relative to it.

    LAB_HOME is `lab_home` when given (`lab check --lab-home`: the project's running lab).
    For a project named `explicit`ly (`--project-dir`) it is otherwise the project's own (its
    `.env`'s, or `.lab` in it), never the one exported in the grader's environment: that is the
    grader's lab, whose model file is not the project's. The lab checkout keeps `base`."""
    if project.kind == "lab checkout" and lab_home is None:
        return base
    has_env = project.env_file.is_file()
    values = dotenv_values(project.env_file, encoding="utf-8") if has_env else {}
    overrides: dict[str, object] = {}
    if lab_home is not None:
        overrides["LAB_HOME"] = lab_home.absolute()
    elif explicit or "LAB_HOME" not in os.environ:
        home = Path(values.get("LAB_HOME") or ".lab")
        overrides["LAB_HOME"] = home if home.is_absolute() else project.root / home
    if not has_env:
        return base.model_copy(update=overrides) if overrides else base
    try:
        return load_settings(env_file=project.env_file, **overrides)
    except Exception:  # a bad .env is graded by M1.env; the other checks use the base settings
        return base
