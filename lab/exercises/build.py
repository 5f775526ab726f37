"""`lab exercise start`: a workspace (a git repository) holding one exercise's starter.

The workspace holds the whole course project: the modules the exercise needs are solved, the
exercise itself and the modules it does not need are starters. It gets its own `.env` (fresh
secrets, free ports), its own `.lab/`, the task texts in `tasks/`, and a `workspace.toml`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from lab import net, workspace
from lab.envfile import GENERATED, find_example
from lab.envfile import render as render_env
from lab.exercises import course, source
from lab.files import write_atomic
from lab.net import bind_error
from lab.services import PORT_KEYS
from lab.settings import Settings

#: the learner's API: reloaded when a file of app/ or config/ changes, so an edit is served
#: without `lab restart api` (uvicorn's reloader, watchfiles)
API_COMMAND = (
    "python -m uvicorn app.main:create_app --factory --app-dir {WORKSPACE} "
    "--host {API_HOST} --port {API_PORT} "
    "--reload --reload-dir {WORKSPACE}/app --reload-dir {WORKSPACE}/config --reload-include *.yml"
)
COMMANDS = {
    "train": "python -m training.train --n_samples 1000 --c_param 1.0",
    "test": "python -m pytest",
}
#: what an M1 starter's workspace.toml asks the learner to add (see tasks/M1.md)
M1_TODOS = {
    "python": 'after `python -m venv .venv` the lab finds .venv; else name one: python = "..."',
    "train": 'the one-step training command, e.g. train = "tox -e train"',
}
COURSE_COPY = ".course"  # a workspace's copy of its course (from a release)
#: the lab's default ports, in PORT_KEYS order (the Settings defaults)
DEFAULT_PORTS = tuple(int(Settings.model_fields[k].default) for k in PORT_KEYS)


class WorkspaceExists(FileExistsError):
    pass


def solved_modules(
    module: str, variant: str = "starter", of: course.Course | None = None
) -> list[str]:
    """Modules whose regions keep their code: what `module` needs, plus itself for a solution."""
    needs = list((of or course.load()).get(module).needs)
    return [*needs, module] if variant == "solution" else needs


def refuse_if_taken(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise WorkspaceExists(
            f"{dest} already exists and is not empty: the lab never overwrites your work. "
            f"Pick another folder (`--dir`), or to start over, move or delete {dest} first "
            f"(`git -C {dest} status` shows what you changed)"
        )


def free_ports(preferred: tuple[int, ...] = DEFAULT_PORTS) -> dict[str, int]:
    """The lab's default ports when all are free, else ports the OS says are free now."""
    if preferred and all(bind_error("127.0.0.1", p) is None for p in preferred):
        return dict(zip(PORT_KEYS, preferred, strict=True))
    return dict(zip(PORT_KEYS, net.free_ports(len(PORT_KEYS)), strict=True))


def env_text(settings: Mapping[str, object], *, secrets: bool) -> str:
    """The lab's `.env.example` with these values set; secrets generated unless `secrets=False`."""
    try:
        example = find_example().read_text(encoding="utf-8")
    except FileNotFoundError:  # a pip install without the checkout's .env.example
        example = _minimal_example()
    lines = []
    for line in example.splitlines():
        key, sep, _ = line.partition("=")
        if sep and not line.lstrip().startswith("#") and key.strip() in settings:
            line = f"{key.strip()}={settings[key.strip()]}"
        lines.append(line)
    text = "\n".join(lines) + "\n"
    return render_env(text) if secrets else text


def _minimal_example() -> str:
    secrets = ("CRM_TOKEN", "ADMIN_TOKEN", "GRAFANA_ADMIN_PASSWORD")
    keys = ("LAB_HOME", *(f"{k}_{p}" for k in ("API", "CRM", "MLFLOW", "PROMETHEUS", "GRAFANA")
                          for p in ("HOST", "PORT")))  # fmt: skip
    defaults = Settings.model_fields
    lines = ["# mlops-lab settings of this workspace (`lab init` documents every key)"]
    lines += [f"{k}={defaults[k].default}" for k in keys]
    lines += [f"{k}={GENERATED}" for k in secrets]
    return "\n".join(lines) + "\n"


def workspace_toml(module: str, solved: list[str], course_copy: str | None = None) -> str:
    """workspace.toml of a workspace: M1 solved names the interpreter and the training command;
    an M1 starter leaves both to the learner (`lab check` never lends the lab's), with TODOs.
    `course_copy`: the folder of the workspace holding its course (a release's)."""
    if "M1" in solved:
        return workspace.render(
            [module], {"api": API_COMMAND}, COMMANDS, sys.executable, course=course_copy
        )
    commands = {k: v for k, v in COMMANDS.items() if k != "train"}
    todos = {
        "workspace": f"# TODO M1.python: {M1_TODOS['python']}",
        "commands": f"# TODO M1.train: {M1_TODOS['train']}",
    }
    return workspace.render(
        [module], {"api": API_COMMAND}, commands, todos=todos, course=course_copy
    )


def create(
    dest: Path,
    module: str,
    *,
    variant: str = "starter",
    settings: Mapping[str, object] | None = None,
    git: bool = True,
    of: course.Course | None = None,
    keep_course: bool = False,
    files: Mapping[str, str] | None = None,
) -> workspace.Workspace:
    """Write a new workspace for `module` of course `of` (default: the lab's) at `dest` (which
    must not hold anything yet). `files`: what to write instead of the module's starter (a
    course project's step, lab.exercises.steps). `keep_course`: copy the course into the
    workspace (COURSE_COPY, tracked) and name it in workspace.toml, as for a release, which the
    learner may not keep."""
    of = of or course.load()
    exercise = of.get(module)
    refuse_if_taken(dest)
    solved = solved_modules(exercise.id, variant, of)
    dest.mkdir(parents=True, exist_ok=True)
    written = dict(files) if files is not None else starter_files(of, solved)
    for rel, text in written.items():
        target = dest / Path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    copy_fixtures(of, dest)
    # the module pages (objectives, why); the tasks are among `written` (a course project's
    # arrive with their module)
    (dest / "teaching").mkdir(exist_ok=True)
    for page in sorted((of.root / "teaching").glob("*.md")):
        shutil.copyfile(page, dest / "teaching" / page.name)
    values: dict[str, object] = {**free_ports(), **(settings or {})}
    (dest / ".env.example").write_text(env_text(values, secrets=False), encoding="utf-8")
    if "M1" in solved:  # else writing .env is the learner's (M1)
        write_atomic(dest / ".env", env_text(values, secrets=True), mode=0o600)
    (dest / ".lab").mkdir(exist_ok=True)
    copy = None
    if keep_course:
        copy = COURSE_COPY
        skip = shutil.ignore_patterns(".git", "__pycache__", "*.pyc")
        shutil.copytree(of.root, dest / copy, ignore=skip)
    (dest / workspace.FILE_NAME).write_text(
        workspace_toml(exercise.id, solved, copy), encoding="utf-8"
    )
    if git:
        git_init(dest, f"Start exercise {exercise.id} ({exercise.title})")
    return workspace.load(dest)


def rules_workspace(folder: Path, of: course.Course) -> Path:
    """A folder `lab prometheus` takes for a workspace holding the course's solved alert rules
    (lab.observability.learner), so M5.rules grades what Prometheus loaded."""
    for rel, text in source.project_files(of.project_dir).items():
        if rel.startswith("config/prometheus/"):
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source.render(rel, text, of.ids), encoding="utf-8")
    (folder / workspace.FILE_NAME).write_text(
        workspace.render(list(of.ids), {}, {}), encoding="utf-8"
    )
    return folder


def starter_files(of: course.Course, solved: list[str]) -> dict[str, str]:
    """Workspace path -> text of a one-module workspace: the project (`solved` modules' regions
    as code, the others as TODOs) and every task text. (A course project's steps: `files`.)"""
    files = {
        rel: source.render(rel, text, solved)
        for rel, text in source.project_files(of.project_dir).items()
    }
    for task in sorted(of.tasks_dir.glob("*.md")):
        files[f"tasks/{task.name}"] = task.read_text(encoding="utf-8")
    return files


def copy_fixtures(of: course.Course, dest: Path) -> list[str]:
    """The course's fixture files (e.g. its fixture model), byte for byte, at the same path
    in the workspace; their paths."""
    for rel in of.fixtures:
        source_path = of.root / rel
        if not source_path.is_file():
            raise course.CourseError(f"{of.root / course.FILE}: fixture {rel} does not exist")
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source_path, target)
    return list(of.fixtures)


def git_init(dest: Path, message: str) -> None:
    """A repository with one commit, so `git diff` shows the learner's work; no git: skipped."""
    git = shutil.which("git")
    if git is None:
        return
    ident = ["-c", "user.name=mlops-lab", "-c", "user.email=lab@localhost"]
    for args in (["init", "-q"], ["add", "-A"], [*ident, "commit", "-q", "-m", message]):
        subprocess.run([git, *args], cwd=dest, check=True, capture_output=True)
