"""The course path: one project from the first module to the last (`lab course start|next`).

At step k (the course's k-th module), the project holds:
- every region of the modules up to k as its starter TODO (the learner replaces it with code);
- every region of a later module as a stand-in that says when it comes (`lab course next`);
- the files that have arrived: a file comes with the first module whose region it holds (the
  Dockerfile with M2, the dashboard with M5), a module's task and public tests with it; the
  service's and the training's Python files, which import each other, from the start.

`advance` moves a project from step k to k+1 by a three-way merge of each file: the base is
what step k gave, the other side what step k+1 gives, so only the lines the lab wrote change
(stand-ins become TODOs) and every line the learner wrote stays. A file the learner changed
where the lab's lines change too is left alone, with the new version beside it (`FILE.next`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lab import workspace
from lab.exercises import build, course, source

#: workspace.toml's section that makes a workspace a course project
SECTION = "course"
#: Python files present from the first step: the app and training import each other's modules
ALWAYS = ("app/", "training/")
_PUBLIC = re.compile(r"^tests/public/test_(?P<module>[A-Za-z0-9]+)_")
_TASK = re.compile(r"^tasks/(?P<module>[^./]+)(\.[A-Za-z-]+)?\.md$")


class StepError(ValueError):
    """The project cannot take the next step; the message says why and what to do."""


@dataclass
class Advance:
    """What `advance` did."""

    module: course.Module
    regions: dict[str, int] = field(default_factory=dict)  # file -> TODOs that arrived in it
    new_files: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # learner-changed files left alone (+ .next)
    commits: list[str] = field(default_factory=list)


def later(of: course.Course, module: str, step: int) -> bool:
    return of.ids.index(module) > step


def stand_in(region: source.Region) -> str:
    """A later module's region before it arrives: runs (a 501 in Python), names no TODO."""
    said = f"{region.criterion}: comes with `lab course next` ({region.module})"
    if region.path.endswith(".py") and region.indent:
        return f"{region.indent}raise NotImplementedError({json.dumps(said)})"
    if region.path.endswith(".json"):
        return f'{region.indent}{{"title": {json.dumps(said)}, "type": "text"}}'
    return f"{region.indent}# {said}"


def arrives(of: course.Course, rel: str, text: str) -> str:
    """The module whose step brings the file `rel`."""
    for pattern in (_PUBLIC, _TASK):
        match = pattern.match(rel)
        if match:
            wanted = match["module"].lower()
            return next((m for m in of.ids if m.lower() == wanted), of.ids[0])
    modules = [r.module for r in source.regions(rel, text)]
    if not modules or rel.startswith(ALWAYS):
        return of.ids[0]
    return min(modules, key=of.ids.index)


def render_file(of: course.Course, rel: str, text: str, step: int) -> str:
    lines = text.splitlines()
    out: list[str] = []
    cursor = 0
    for region in source.regions(rel, text):
        out.extend(lines[cursor : region.begin])
        out.append(stand_in(region) if later(of, region.module, step) else region.todo())
        cursor = region.end + 1
    out.extend(lines[cursor:])
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def render(of: course.Course, step: int) -> dict[str, str]:
    """Workspace path -> text of every file the course's project holds at `step` (0-based)."""
    files = dict(source.project_files(of.project_dir))
    for task in sorted(of.tasks_dir.glob("*.md")):
        files[f"tasks/{task.name}"] = task.read_text(encoding="utf-8")
    return {
        rel: render_file(of, rel, text, step)
        for rel, text in files.items()
        if not later(of, arrives(of, rel, text), step)
    }


def course_toml(of: course.Course, step: int, *, copied: bool = False) -> str:
    default = of.root == course.DEFAULT_DIR.resolve()
    source_dir = "default" if default or copied else str(of.root)  # a copy: [workspace] course
    return (
        f"\n# The course this project follows: `lab course next` brings the next module.\n"
        f"[{SECTION}]\nsource = {json.dumps(source_dir)}\nstep = {json.dumps(of.ids[step])}\n"
    )


def start(
    dest: Path,
    of: course.Course | None = None,
    *,
    git: bool = True,
    keep_course: bool = False,
    settings: Mapping[str, object] | None = None,
) -> Path:
    """A new course project at `dest`: the first module's starter, one commit. `keep_course`:
    the course is a release the learner may not keep; the project holds a copy (lab.exercises.
    build.COURSE_COPY). `settings`: values its `.env.example` holds (default: free ports)."""
    of = of or course.load()
    first = of.modules[0]
    ws = build.create(
        dest, first.id, of=of, git=False, files=render(of, 0), keep_course=keep_course,
        settings=settings,
    )  # fmt: skip
    with ws.toml_path.open("a", encoding="utf-8") as toml:
        toml.write(course_toml(of, 0, copied=keep_course))
    if git:
        build.git_init(ws.root, f"Course start: {first.id} ({first.title})")
    return ws.root


def where(root: Path) -> tuple[course.Course, int]:
    """The course a project follows and its step; StepError when it follows none."""
    try:
        ws = workspace.load(root)
        doc = tomllib.loads(ws.toml_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, workspace.WorkspaceError) as exc:
        raise StepError(f"cannot read {root / workspace.FILE_NAME}: {exc}") from None
    section = doc.get(SECTION)
    if not isinstance(section, dict) or not isinstance(section.get("step"), str):
        raise StepError(
            f"{root} is not a course project (no [{SECTION}] step in {workspace.FILE_NAME}): "
            "`lab course start` makes one"
        )
    raw = section.get("source", "default")
    folder = ws.course_dir or (None if raw == "default" else Path(raw))
    try:
        of = course.load(folder)
        return of, of.ids.index(of.get(section["step"]).id)
    except course.CourseError as exc:
        raise StepError(str(exc)) from None
    except course.UnknownModule as exc:
        raise StepError(f"{workspace.FILE_NAME}: [{SECTION}] step: {exc}") from None


def merge3(base: str, mine: str, theirs: str) -> str | None:
    """`mine` with the change from `base` to `theirs` applied; None when they overlap."""
    if mine == base:
        return theirs
    git = shutil.which("git")
    if git is None:
        return None
    with tempfile.TemporaryDirectory(prefix="lab-next-") as tmp:
        paths = [Path(tmp, n) for n in ("mine", "base", "theirs")]
        for path, text in zip(paths, (mine, base, theirs), strict=True):
            path.write_text(text, encoding="utf-8", newline="\n")
        done = subprocess.run(
            [git, "merge-file", "-p", *map(str, paths)], capture_output=True, text=True
        )
    return done.stdout if done.returncode == 0 else None


def _toml_step(text: str, of: course.Course, step: int) -> str:
    modules = ", ".join(json.dumps(m) for m in of.ids[: step + 1])
    text = re.sub(r"(?m)^modules\s*=.*$", f"modules = [{modules}]", text, count=1)
    return re.sub(r"(?m)^step\s*=.*$", f"step = {json.dumps(of.ids[step])}", text, count=1)


def advance(root: Path, *, git: bool = True) -> Advance:
    """Bring the next module into the project at `root` (see the module's docstring)."""
    of, step = where(root)
    if step + 1 >= len(of.modules):
        raise StepError(f"{of.ids[step]} is the course's last module: nothing comes next")
    done = Advance(of.modules[step + 1])
    if git:
        _commit(root, f"Your work up to {of.ids[step]}", done)
    before, after = render(of, step), render(of, step + 1)
    for rel, text in after.items():
        target = root / rel
        if rel not in before:
            if target.exists():
                done.kept.append(rel)
                target = target.with_name(target.name + ".next")
            else:
                done.new_files.append(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            continue
        if before[rel] == text:
            continue
        mine = target.read_text(encoding="utf-8") if target.is_file() else None
        merged = merge3(before[rel], mine, text) if mine is not None else None
        if merged is None:
            done.kept.append(rel)
            target.with_name(target.name + ".next").write_text(text, encoding="utf-8")
            continue
        target.write_text(merged, encoding="utf-8")
        done.regions[rel] = _arrived(of, rel, before[rel], text)
    toml = root / workspace.FILE_NAME
    toml.write_text(_toml_step(toml.read_text(encoding="utf-8"), of, step + 1), encoding="utf-8")
    if git:
        _commit(root, describe(done), done)
    return done


def _arrived(of: course.Course, rel: str, before: str, after: str) -> int:
    return sum(1 for a, b in zip(before.splitlines(), after.splitlines(), strict=False) if a != b)


def describe(done: Advance) -> str:
    m = done.module
    lines = [f"Course: {m.id} ({m.title}) arrives"]
    lines += [f"- {n} TODO(s) in {rel}" for rel, n in sorted(done.regions.items())]
    lines += [f"- new: {rel}" for rel in sorted(done.new_files)]
    lines += [f"- kept yours: {rel} (the course's version: {rel}.next)" for rel in done.kept]
    return "\n".join(lines)


def _commit(root: Path, message: str, done: Advance) -> None:
    git = shutil.which("git")
    if git is None or not (root / ".git").exists():
        return
    known = subprocess.run([git, "config", "user.email"], cwd=root, capture_output=True)
    # the learner's own identity when git has one, else the lab's (as `lab course start`)
    ident = (
        []
        if known.stdout.strip()
        else ["-c", "user.name=mlops-lab", "-c", "user.email=lab@localhost"]
    )
    subprocess.run([git, "add", "-A"], cwd=root, check=True, capture_output=True)
    staged = subprocess.run([git, "diff", "--cached", "--quiet"], cwd=root, capture_output=True)
    if staged.returncode == 0:
        return  # nothing to commit
    subject, _, body = message.partition("\n")
    args = [git, *ident, "commit", "-q", "-m", subject, *(["-m", body] if body else [])]
    subprocess.run(args, cwd=root, check=True, capture_output=True)
    head = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True)
    done.commits.append(head.stdout.decode().strip())


def pending(root: Path, modules: Iterable[str]) -> list[str]:
    """The modules of `modules` the project at `root` has not reached yet."""
    of, step = where(root)
    return [m for m in modules if m in of.ids and of.ids.index(m) > step]
