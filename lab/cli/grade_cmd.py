"""`lab grade ROSTER`: grade a class (workspaces or service URLs) into grades.csv + feedback."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from lab.cli._common import console, default_rubric, err_console, get_settings
from lab.cli.check_cmd import RubricProblem

if TYPE_CHECKING:
    from lab.grading.grader import Grade, Options
    from lab.grading.roster import Learner

EXIT_BAD_ROSTER = 2


@click.command("grade")
@click.argument("roster", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default="grades",
    show_default=True, help="Where grades.csv, feedback/ and evidence/ go.",
)  # fmt: skip
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Learners graded at the same time.")  # fmt: skip
@click.option("--budget", type=click.FloatRange(10, 7200), default=300, show_default=True,
              help="Seconds per learner, everything included; past it the learner gets 0 "
              "with the reason.")  # fmt: skip
@click.option(
    "--regrade", "previous", type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A previous grades.csv: print what changed for each learner.",
)  # fmt: skip
@click.option(
    "--extra-rubric", type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The instructor's hidden criteria (same format as rubric.yml).",
)  # fmt: skip
@click.option(
    "--rubric", "rubric_path", type=click.Path(path_type=Path, dir_okay=False),
    help="Rubric file. [default: the course's (LAB_COURSE), else LAB_CONFIG_DIR/rubric.yml]",
)  # fmt: skip
@click.option("--no-tests", is_flag=True, help="Skip the learners' test-suite criterion.")
@click.option(
    "--course", "course_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Your course folder: its rubric, its hidden part (instructor/rubric.yml, the hidden "
    "mutants) and its solutions grade the class. [default: LAB_COURSE]",
)  # fmt: skip
def grade(
    roster: Path, out_dir: Path, jobs: int, budget: float, previous: Path | None,
    extra_rubric: Path | None, rubric_path: Path | None, no_tests: bool, course_dir: Path | None,
) -> None:  # fmt: skip
    """Grade every learner of ROSTER (CSV) with `lab check` and write the grade book.

    \b
    ROSTER columns: id, and either workspace (a folder or a file:// git URL; `lab grade` copies
    it and runs its lab on free ports) or the learner's service URLs (api_url, crm_url,
    mlflow_url, prometheus_url, grafana_url; an empty one is not graded, shown as skipped).
    A row with both grades the URLs, and the workspace's files.
    \b
    Writes OUT/grades.csv (id, M1..M6, total, status), OUT/feedback/<id>.html + .json (the
    learner's scorecard with hints) and OUT/evidence/<id>.json (what each check saw).
    With `policy: {due, late_penalty_per_day}` in the rubric, a git workspace is graded at its
    last commit before `due`, and at its latest one with the penalty; the better counts.
    \b
    Examples:
      lab grade config/roster.example.csv --out grades/
      lab grade roster.csv --extra-rubric hidden.yml --jobs 2 --regrade grades/grades.csv
      lab grade roster.csv --course mycourse --out grades/
    """
    from lab.acceptance import RubricError, load_rubric
    from lab.acceptance.extra import with_extra
    from lab.grading.grader import Options
    from lab.grading.outputs import changes, read_grades
    from lab.grading.roster import RosterError, read_roster

    settings = get_settings()
    course_dir = course_dir or settings.LAB_COURSE
    if course_dir is not None:
        course_dir = course_dir.resolve()
        settings = settings.model_copy(update={"LAB_COURSE": course_dir})
        hidden_file = course_dir / "instructor" / "rubric.yml"
        if extra_rubric is None and hidden_file.is_file():
            extra_rubric = hidden_file  # the course's hidden criteria, read by the grader only
    rubric_path = (rubric_path or default_rubric(settings)).resolve()
    try:
        rubric, hidden = with_extra(load_rubric(rubric_path), _seeded(extra_rubric))
        learners = read_roster(roster)
    except RubricError as exc:
        raise RubricProblem(str(exc)) from None
    except RosterError as exc:
        err_console.print(f"[bold red]roster error:[/] {exc}", soft_wrap=True)
        sys.exit(EXIT_BAD_ROSTER)
    before = read_grades(previous) if previous else None
    opts = Options(
        rubric=rubric_path,
        extra_rubric=extra_rubric.resolve() if extra_rubric else None,
        policy=rubric.policy,
        budget=budget,
        no_tests=no_tests,
        course=course_dir,
        modules=tuple(m.id for m in rubric.modules),
    )
    console.print(
        f"grading {len(learners)} learner(s), {jobs} at a time, {budget:g} s each"
        + (f", with {hidden['points']} hidden points" if hidden["ran"] else "")
        + (f"; due {rubric.policy.due.isoformat()}" if rubric.policy.due else "")
    )
    with _sigterm_stops():
        grades = _run(learners, opts, out_dir, jobs)
    _summary(grades, out_dir)
    if before is not None:
        lines = changes(before, grades, opts.modules)
        console.print(f"[bold]changes since {previous}[/]: {len(lines) or 'none'}")
        for line in lines:
            console.print(f"  {line}", soft_wrap=True, markup=False)


def _seeded(extra_rubric: Path | None) -> Path | None:
    """The hidden rubric as one learner would get it (its $seed inputs filled), to validate."""
    if extra_rubric is None:
        return None
    import tempfile

    from lab.authoring import seeded

    folder = Path(tempfile.mkdtemp(prefix="lab-grade-hidden-"))
    return seeded.render(extra_rubric, "validation", folder / "hidden-rubric.yml")


@contextlib.contextmanager
def _sigterm_stops() -> Iterator[None]:
    """SIGTERM acts as Ctrl-C: the run stops every learner's processes before it ends."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(learners: list[Learner], opts: Options, out_dir: Path, jobs: int) -> list[Grade]:
    from lab.grading.session import Callbacks, grade_roster

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=False,
    ) as progress:  # fmt: skip
        overall = progress.add_task("[bold]learners graded", total=len(learners))
        tasks: dict[str, TaskID] = {}

        def started(learner: Learner) -> None:
            tasks[learner.id] = progress.add_task(f"{learner.id}: starting", total=None)

        def state(learner: Learner, text: str) -> None:
            progress.update(tasks[learner.id], description=f"{learner.id}: {text}")

        def done(grade: Grade) -> None:
            progress.update(
                tasks[grade.learner.id], total=1, completed=1,
                description=f"{grade.learner.id}: {grade.total:g} points · {grade.status}",
            )  # fmt: skip
            progress.advance(overall)

        return grade_roster(learners, opts, out_dir, jobs, Callbacks(started, state, done))


def _summary(grades: list[Grade], out_dir: Path) -> None:
    counts: dict[str, int] = {}
    for g in grades:
        counts[g.status] = counts.get(g.status, 0) + 1
    console.print(
        f"[bold]{out_dir / 'grades.csv'}[/]: "
        + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())),
        soft_wrap=True,
    )
    console.print(f"feedback: {out_dir / 'feedback'}  evidence: {out_dir / 'evidence'}")
