"""`lab course`: the group of the course's commands.

The learner's (`start`, `next`) and the instructor's (`new`, `lint`, `verify`, `release`,
`catch-up`, in lab/cli/course_admin_cmd.py) are on this one group; like the top-level verbs,
each is imported when it runs (SUBCOMMANDS: one line each).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from lab.cli import LazyGroup
from lab.cli._common import LabError, console, lab_invocation

#: subcommand -> "module:attribute" of its click command
SUBCOMMANDS: dict[str, str] = {
    "start": "lab.cli.course_cmd:start",
    "next": "lab.cli.course_cmd:next_",
    "new": "lab.cli.course_admin_cmd:new",
    "lint": "lab.cli.course_admin_cmd:lint",
    "verify": "lab.cli.course_admin_cmd:verify",
    "release": "lab.cli.course_admin_cmd:release",
    "catch-up": "lab.cli.course_admin_cmd:catch_up",
}


@click.group("course", cls=LazyGroup, lazy=SUBCOMMANDS)
def course() -> None:
    """A course: follow it as a learner, or author, check and release it as an instructor.

    \b
    lab course start --dir myproject     # a learner: one project, the first module's starter
    lab course next                      # ... the next module's TODOs arrive, yours stay
    lab course new mycourse              # your own course, copied from the lab's
    lab course lint --course mycourse    # markers, course.yml, rubric, both languages
    lab course verify --course mycourse  # each solution passes, each starter fails
    lab course release mycourse --out rel   # what learners get: no solution, nothing hidden
    """


@click.command("start")
@click.option(
    "--dir", "dest", type=click.Path(path_type=Path, file_okay=False), default=Path("workspace"),
    show_default=True, help="Folder of your project (must not exist or be empty).",
)  # fmt: skip
@click.option(
    "--from", "release", metavar="RELEASE",
    help="Your instructor's release: a folder or a git URL (default: the lab's own course).",
)  # fmt: skip
def start(dest: Path, release: str | None) -> None:
    """Start the course: one git project holding the first module's starter.

    Each later module arrives in the same project with `lab course next`: its TODOs in place,
    your lines untouched. The course's public tests (tests/public, marked by module) run from
    the first module on: `python -m pytest tests/public -m M1`.
    """
    from lab.authoring import release as releasing
    from lab.exercises import build, course, steps
    from lab.grading.workflow import write_workflow

    with tempfile.TemporaryDirectory(prefix="lab-release-") as tmp:
        try:
            root = releasing.fetch(release, Path(tmp) / "release") if release else None
            of = course.load(root)
            first = of.modules[0]
            project = steps.start(dest, of, keep_course=root is not None, git=False)
        except (releasing.ReleaseError, course.CourseError, build.WorkspaceExists) as exc:
            raise LabError(str(exc)) from None
    write_workflow(project)  # CI: `lab check` on every push, scorecard in the job summary
    build.git_init(project, f"Course start: {first.id} ({first.title})")
    lab = lab_invocation()
    console.print(f"[green]created[/] {project}: {of.title}, module {first.id} ({first.title})")
    console.print(f"task: {project / first.task_link()}", soft_wrap=True)
    console.print(
        f"next: cd {dest} && {lab} up, then {lab} check -m {first.id}; test without the lab: "
        f"python -m pytest tests/public -m {first.id}; when it passes: {lab} course next",
        soft_wrap=True,
    )


@click.command("next")
@click.option(
    "--dir", "project", type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=Path(), show_default=True, help="The course project (or a folder inside it).",
)  # fmt: skip
def next_(project: Path) -> None:
    """Bring the course's next module into this project: its TODOs arrive in place and its new
    files are added; no line you wrote changes. Your work so far is committed first, then the
    step is one commit that says what arrived."""
    from lab import workspace
    from lab.exercises import steps

    try:
        ws = workspace.find(project)
        if ws is None:
            raise steps.StepError(f"{project.resolve()} is in no course project")
        done = steps.advance(ws.root)
    except (steps.StepError, workspace.WorkspaceError) as exc:
        raise LabError(str(exc)) from None
    m = done.module
    lab = lab_invocation()
    console.print(f"[green]{m.id} ({m.title}) arrived[/] in {ws.root}", soft_wrap=True)
    for line in steps.describe(done).splitlines()[1:]:
        console.print(f"  {line.removeprefix('- ')}", soft_wrap=True)
    if done.kept:
        console.print(
            "[yellow]you changed lines the course changes too:[/] your files stay as they are; "
            "compare each with its .next and take what you need",
            soft_wrap=True,
        )
    if done.commits:
        console.print(f"committed: {', '.join(done.commits)} (`git show` shows the step)")
    console.print(
        f"task: {ws.root / m.task_link()}; then {lab} check -m {m.id}, "
        f"python -m pytest tests/public -m {m.id}",
        soft_wrap=True,
    )
