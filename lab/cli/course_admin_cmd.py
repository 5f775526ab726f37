"""`lab course new|lint|verify|release|catch-up`: the instructor's commands (and the learner's
`catch-up` and `start --from`), on the `lab course` group."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lab.cli._common import LabError, console, get_settings
from lab.cli.exercise_cmd import COURSE_OPTION, PATH_OPTION, _course, run_verify


@click.command("new")
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
def new(dest: Path) -> None:
    """Start your own course in DEST, copied from the lab's (closed: solutions stay with you)."""
    from lab.authoring.new import CourseExists, new_course

    settings = get_settings()
    try:
        made = new_course(dest, settings.LAB_CONFIG_DIR / "rubric.yml")
    except CourseExists as exc:
        raise LabError(str(exc)) from None
    console.print(f"[green]created[/] {made.root}: {len(made.ids)} modules ({', '.join(made.ids)})")
    console.print(
        f"edit {dest / 'course.yml'}, the tasks, the marked solution in {dest / 'project'} and "
        f"the rubric; then: lab course lint --course {dest} && lab course verify --course {dest}",
        soft_wrap=True,
    )


@click.command("lint")
@COURSE_OPTION
def lint(course_dir: Path | None) -> None:
    """Check a course folder: course.yml, the markers, the rubric, both languages, hidden parts."""
    from lab.authoring.lint import lint as linting

    of = _course(course_dir)
    problems = linting(of, get_settings().LAB_CONFIG_DIR)
    for line in problems:
        console.print(f"[red]✘[/] {line}", soft_wrap=True)
    if problems:
        console.print(f"{len(problems)} problems in {of.root}")
        sys.exit(1)
    console.print(f"[green]✔[/] {of.root}: {len(of.ids)} modules, consistent")


@click.command("verify")
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
    `lab exercise verify` for any course folder, e.g. in the course's CI. With every module, also
    that the solution's tests catch each hidden mutant of instructor/mutants.yml. With --path,
    the course path from `lab course start` to the last module instead."""
    from lab.authoring.proof import hidden_mutants_missed

    of = _course(course_dir)
    missed: list[str] = []
    if not modules and not course_path:
        missed = hidden_mutants_missed(of, sys.executable)
        for line in missed:
            console.print(f"[red]✘[/] {line}", soft_wrap=True)
        if not missed:
            console.print("[green]✔[/] the solution's tests catch every hidden mutant")
    run_verify(modules, keep, of, path=course_path)
    if missed:
        sys.exit(1)


@click.command("release")
@click.argument("course_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--out", "dest", type=click.Path(path_type=Path, file_okay=False), required=True,
    help="Folder of the release (must not exist or be empty); a git repository to push.",
)  # fmt: skip
@click.option(
    "--solutions", default="", metavar="M1,M2",
    help="Build a catch-up pack of these modules' solutions instead of a release.",
)  # fmt: skip
def release(course_dir: Path, dest: Path, solutions: str) -> None:
    """What learners get from COURSE_DIR: starters, public tests, tasks, teaching pages, fixtures,
    the public rubric and hint policy; no solution and nothing of instructor/ (checked)."""
    from lab.authoring import catchup
    from lab.authoring import release as releasing
    from lab.exercises import course as courses

    of = _course(course_dir)
    try:
        if solutions:
            modules = [m.strip() for m in solutions.split(",") if m.strip()]
            catchup.build_pack(of, modules, dest)
            console.print(f"[green]catch-up pack[/] {dest}: solutions of {', '.join(modules)}")
            console.print(f"a learner applies it with: lab course catch-up {dest}")
            return
        releasing.build(of, dest, get_settings().LAB_CONFIG_DIR, where=str(dest))
    except (courses.UnknownModule, catchup.PackError, releasing.ReleaseError) as exc:
        raise LabError(str(exc)) from None
    leaks = releasing.leaks(of, dest)
    if leaks:
        for line in leaks:
            console.print(f"[red]✘[/] {line}", soft_wrap=True)
        raise LabError(f"the release in {dest} holds what the instructor keeps: delete it")
    console.print(f"[green]released[/] {dest} (a git repository): no solution, nothing hidden")
    console.print(f"learners start with: lab course start --from {dest} (or its git URL)")


@click.command("catch-up")
@click.argument("pack", type=click.Path(path_type=Path, exists=True))
@click.option(
    "--project-dir", type=click.Path(path_type=Path, file_okay=False), default=Path(),
    show_default=True, help="The learner's project.",
)  # fmt: skip
def catch_up(pack: Path, project_dir: Path) -> None:
    """Apply a catch-up pack (`lab course release --solutions`): those modules' solutions go
    where their TODOs are, committed as "solution of Mx applied"; the grade counts them given."""
    from lab.authoring import catchup

    try:
        done = catchup.apply_pack(pack, project_dir)
    except catchup.PackError as exc:
        raise LabError(str(exc)) from None
    for applied in done:
        console.print(f"[green]✔[/] solution of {applied.module} applied", soft_wrap=True)
        for where in applied.kept:
            console.print(f"    [yellow]kept[/] {where}", soft_wrap=True)
    console.print("these modules are graded as given, not as your points")
