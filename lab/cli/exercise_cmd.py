"""`lab exercise list|start|status|verify`: the learner's path through M1..M6 (hints: hint_cmd)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from lab.cli._common import (
    LabError,
    console,
    course_dir,
    default_rubric,
    get_settings,
    lab_invocation,
)

if TYPE_CHECKING:
    from lab.acceptance import Rubric
    from lab.exercises.course import Course
    from lab.workspace import Workspace


def _rubric() -> Rubric:
    from lab.acceptance import RubricError, load_rubric

    try:
        return load_rubric(default_rubric(get_settings()))
    except RubricError as exc:
        raise LabError(str(exc)) from None


def _criteria(rubric: Rubric) -> dict[str, list[str]]:
    return {m.id: [c.id for c in m.criteria] for m in rubric.modules}


def _workspace() -> Workspace | None:
    from lab import workspace

    try:
        return workspace.find()
    except workspace.WorkspaceError as exc:
        raise LabError(str(exc)) from None


def _course(explicit: Path | None = None) -> Course:
    """The course of `--course`, else the workspace's, else LAB_COURSE, else the lab's."""
    from lab.exercises import course

    try:
        return course.load(explicit or course_dir(get_settings()))
    except course.CourseError as exc:
        raise LabError(str(exc)) from None


COURSE_OPTION = click.option(
    "--course", "course_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Course folder (default: LAB_COURSE, else the lab's own course).",
)  # fmt: skip


def _statuses(ws: Any, of: Course) -> list[Any]:
    from lab.exercises import progress

    criteria = _criteria(_rubric())
    done = progress.read(ws.root) if ws is not None else {}
    return [progress.module_status(done, m, criteria.get(m, [])) for m in of.ids]


@click.group("exercise")
def exercise() -> None:
    """The course's exercises: build each module yourself in a workspace, graded by `lab check`.

    \b
    lab exercise start M4        # a workspace in ./workspace with M4's starter
    cd workspace && lab up       # your API, the lab's MLflow, CRM, Prometheus, Grafana
    lab check -m M4              # grade it; records progress.json
    lab hint M4.crm_record       # up to three hints per criterion
    lab exercise status          # the M1 -> M6 path
    """


@exercise.command("list")
@COURSE_OPTION
def list_(course_dir: Path | None) -> None:
    """The course's exercises and, inside a workspace, how far each one is."""
    of = _course(course_dir)
    ws = _workspace()
    table = Table(title="exercises" + (f" — workspace {ws.root}" if ws else ""))
    for column in ("module", "title", "needs", "status", "task"):
        table.add_column(column)
    for status in _statuses(ws, of):
        e = of.get(status.module)
        held = ws is not None and e.id in ws.modules
        table.add_row(
            e.id + (" *" if held else ""), f"{e.title} / {e.title_zh_tw}",
            ", ".join(e.needs) or "-", status.label if ws else "-", e.task_link(),
        )  # fmt: skip
    console.print(table)
    if ws is None:
        console.print(
            "Start one with `lab exercise start M1` (any module: what it needs is solved)."
        )


@exercise.command("start")
@click.argument("module")
@click.option(
    "--dir", "dest", type=click.Path(path_type=Path, file_okay=False), default=Path("workspace"),
    show_default=True, help="Folder of the new workspace (must not exist or be empty).",
)  # fmt: skip
@COURSE_OPTION
def start(module: str, dest: Path, course_dir: Path | None) -> None:
    """Create a workspace (a git repository) holding MODULE's starter and what it needs, solved."""
    from lab.exercises import build, course
    from lab.grading.workflow import write_workflow

    of = _course(course_dir)
    try:
        exercise_ = of.get(module)
        ws = build.create(dest, exercise_.id, of=of)
    except (course.UnknownModule, build.WorkspaceExists) as exc:
        raise LabError(str(exc)) from None
    write_workflow(ws.root)  # CI: `lab check` on every push, scorecard in the job summary
    settings = ws.settings() if ws.env_file.is_file() else None
    console.print(f"[green]created[/] {ws.root}: exercise {exercise_.id} ({exercise_.title})")
    if exercise_.needs:
        console.print(f"solved for you: {', '.join(exercise_.needs)}; yours: {exercise_.id}")
        console.print("(given modules are shown as given in a grade, not counted as yours)")
    if of.open:
        console.print(f"an open course: its source, solutions included, is public ({of.root})")
    console.print(f"task: {ws.root / exercise_.task_link()}")
    if settings is not None:
        console.print(f"API on {settings.api_url}, CRM on {settings.crm_url} (ports in .env)")
    lab = lab_invocation()
    console.print(
        f"next: cd {dest} && {lab} up, then {lab} check -m {exercise_.id}", soft_wrap=True
    )


@exercise.command("status")
@COURSE_OPTION
def status(course_dir: Path | None) -> None:
    """The path through the modules with what passed, and a badge per module (.lab/reports)."""
    from lab.exercises import badges, steps

    of = _course(course_dir)
    ws = _workspace()
    if ws is None:
        raise LabError("not in a workspace: `lab exercise start M1` creates one")
    given = {n for m in ws.modules if m in of.ids for n in of.get(m).needs} - set(ws.modules)
    try:  # a course project: the modules it has not reached yet
        later = set(steps.pending(ws.root, of.ids))
    except steps.StepError:
        later = set()
    marks = []
    for s in _statuses(ws, of):
        icon = "[green]✔[/]" if s.done else ("[yellow]◐[/]" if s.passed else "[dim]○[/]")
        label = s.label
        if s.module in given and not s.done:  # never "to do": the lab solved it
            label = "given (solved for you)"
        elif s.module in later:
            label = "comes with `lab course next`"
        held = "[bold]" if s.module in ws.modules else ""
        marks.append(f"{icon} {held}{s.module}{'[/]' if held else ''} {label}")
        badges.write(ws.root / ".lab" / "reports" / "badges", s, of.get(s.module).title)
    console.print("  →  ".join(marks))
    console.print(f"badges: {ws.root / '.lab' / 'reports' / 'badges'}", soft_wrap=True)


PATH_OPTION = click.option(
    "--path",
    "course_path",
    is_flag=True,
    help="Prove the course path instead: one project from `lab course start`; at each module "
    "`lab course next` keeps every line the learner wrote, the step fails its module and passes "
    "the modules before it, the module's solution filled in and committed as a learner would "
    "passes it (`lab check` and its public tests). Takes no MODULES: it walks them all, in order.",
)


@exercise.command("verify")
@click.argument("modules", nargs=-1)
@click.option(
    "--keep", type=click.Path(path_type=Path, file_okay=False), help="Build here, keep it."
)
@PATH_OPTION
@COURSE_OPTION
def verify(
    modules: tuple[str, ...], keep: Path | None, course_path: bool, course_dir: Path | None
) -> None:
    """Prove each solution passes its module and each starter fails it (all modules by default);
    with --path, the course path a learner walks from `lab course start` to the last module."""
    run_verify(modules, keep, _course(course_dir), path=course_path)


def run_verify(
    modules: tuple[str, ...], keep: Path | None, of: Course, *, path: bool = False
) -> None:
    """`lab exercise verify` and `lab course verify`: verify (each module's workspaces, or with
    `path` the course path), print each outcome, exit 1 on any problem."""
    from lab.exercises import course
    from lab.grading import course_path
    from lab.grading import verify as verifying

    if path and modules:
        raise click.UsageError("--path walks every module in order: name no MODULES with it")
    try:
        wanted = [of.get(m).id for m in modules]
    except course.UnknownModule as exc:
        raise click.BadParameter(str(exc)) from None
    import signal

    # SIGTERM ends verify like Ctrl-C: the services it started are stopped on the way out
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if path:
        console.print("the course path: `lab course start`, then `lab course next` at each module")
        outcomes = course_path.verify_path(say=console.print, keep=keep, of=of)
    else:
        outcomes = verifying.verify(wanted, say=console.print, keep=keep, of=of)
    for o in outcomes:
        mark = "[green]✔[/]" if o.ok else "[red]✘[/]"
        console.print(f"{mark} {o.module} ({o.seconds:.0f} s)")
        for line in o.problems:
            console.print(f"    [red]{line}[/]", soft_wrap=True)
        for line in o.notes:
            console.print(f"    [dim]{line}[/]", soft_wrap=True)
    if not all(o.ok for o in outcomes):
        sys.exit(1)
