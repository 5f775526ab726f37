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
from lab.cli._common import LabError, console

#: subcommand -> "module:attribute" of its click command
SUBCOMMANDS: dict[str, str] = {
    "start": "lab.cli.course_cmd:start",
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
    """Start the course: one git project holding the first module's starter."""
    from lab.authoring import release as releasing
    from lab.exercises import build, course
    from lab.grading.workflow import write_workflow

    with tempfile.TemporaryDirectory(prefix="lab-release-") as tmp:
        try:
            root = releasing.fetch(release, Path(tmp) / "release") if release else None
            of = course.load(root)
            first = of.modules[0]
            ws = build.create(dest, first.id, of=of, keep_course=root is not None)
        except (releasing.ReleaseError, course.CourseError, build.WorkspaceExists) as exc:
            raise LabError(str(exc)) from None
    write_workflow(ws.root)
    console.print(f"[green]created[/] {ws.root}: {of.title}, module {first.id} ({first.title})")
    console.print(f"task: {ws.root / first.task_link()}")
    console.print(f"next: cd {dest} && lab up, then lab check -m {first.id}")
