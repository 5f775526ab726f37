"""`lab grade ROSTER`: grade a class (workspaces or service URLs) into grades.csv + feedback."""

from __future__ import annotations

import contextlib
import hashlib
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
EXIT_NO_SANDBOX = 5


class _GradeGroup(click.Group):
    """`lab grade ROSTER ...` runs `lab grade run ROSTER ...`; `lab grade merge DIR...` merges."""

    #: the subcommand that arguments naming none of the group's run
    default_command = "run"

    def with_default(self, args: list[str]) -> list[str]:
        """`args` as the group dispatches them: the default subcommand first unless they name
        a subcommand or ask for help (the docs' scanner reads commands through this too)."""
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            return [self.default_command, *args]
        return args

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self.with_default(args))


@click.group("grade", cls=_GradeGroup, subcommand_metavar="ROSTER|COMMAND [ARGS]...")
def grade() -> None:
    """Grade a class: `lab grade ROSTER [OPTIONS]` (see `lab grade run --help`), and
    `lab grade merge DIR...` to join the folders of `--shard K/N` runs.

    \b
    Every learner's code runs in a bubblewrap sandbox (Linux); docs/grading.md says what it
    protects and what it does not.
    """


def _shard(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    k, _, n = value.partition("/")
    if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise click.BadParameter(f"{value!r} is not K/N with 1 <= K <= N, e.g. 2/4")
    return int(k), int(n)


@grade.command("run")
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
    "--trust-workspaces", "trust", is_flag=True,
    help="Run the workspaces' code WITHOUT a sandbox (no bubblewrap here: macOS, Windows). "
    "It then runs as you, with your files and network; every grade says so.",
)  # fmt: skip
@click.option(
    "--received", type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="CSV `id,received`: when you received each submission (ISO 8601 with zone). With a "
    "due time it alone decides lateness (commit dates are the learner's to set).",
)  # fmt: skip
@click.option(
    "--shard", callback=_shard, metavar="K/N",
    help="Grade every Nth learner from the Kth (1-based) only; join the N folders with "
    "`lab grade merge`.",
)  # fmt: skip
@click.option(
    "--course", "course_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Your course folder: its rubric, its hidden part (instructor/rubric.yml, the hidden "
    "mutants) and its solutions grade the class. [default: LAB_COURSE]",
)  # fmt: skip
def run(
    roster: Path, out_dir: Path, jobs: int, budget: float, previous: Path | None,
    extra_rubric: Path | None, rubric_path: Path | None, no_tests: bool, trust: bool,
    received: Path | None, shard: tuple[int, int] | None, course_dir: Path | None,
) -> None:  # fmt: skip
    """Grade every learner of ROSTER (CSV) with `lab check` and write the grade book.

    \b
    ROSTER columns: id, and either workspace (a folder or a file:// git URL; `lab grade` copies
    it and runs its lab on free ports) or the learner's service URLs (api_url, crm_url,
    mlflow_url, prometheus_url, grafana_url; an empty one is not graded, shown as skipped).
    A row with both grades the URLs, and the workspace's files.
    \b
    Writes OUT/grades.csv (id, M1..M6, total, graded_max, status), OUT/feedback/<id>.html +
    .json (the learner's scorecard with hints), OUT/evidence/<id>.json (what each check saw)
    and the class report (report.html, report.csv, lms.csv). Everything a learner wrote runs in
    a bubblewrap sandbox (docs/grading.md); without one, only with --trust-workspaces.
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
    from lab.grading.roster import RosterError, read_roster, with_received

    settings = get_settings()
    course_dir = course_dir or settings.LAB_COURSE
    if course_dir is not None:
        course_dir = course_dir.resolve()
        settings = settings.model_copy(update={"LAB_COURSE": course_dir})
        hidden_file = course_dir / "instructor" / "rubric.yml"
        if extra_rubric is None and hidden_file.is_file():
            extra_rubric = hidden_file  # the course's hidden criteria, read by the grader only
    rubric_path = (rubric_path or default_rubric(settings)).resolve()
    hidden_bytes = extra_rubric.read_bytes() if extra_rubric else None  # read once, here only
    try:
        rubric, hidden = with_extra(load_rubric(rubric_path), extra_rubric, _seeded(hidden_bytes))
        learners = read_roster(roster)
        if received is not None:
            learners = with_received(learners, received)
    except RubricError as exc:
        raise RubricProblem(str(exc)) from None
    except RosterError as exc:
        err_console.print(f"[bold red]roster error:[/] {exc}", soft_wrap=True)
        sys.exit(EXIT_BAD_ROSTER)
    before = read_grades(previous) if previous else None
    if shard is not None:
        learners = learners[shard[0] - 1 :: shard[1]]
    _refuse_without_sandbox(learners, trust)
    opts = Options(
        rubric=rubric_path,
        extra_rubric=extra_rubric.resolve() if extra_rubric else None,
        policy=rubric.policy,
        budget=budget,
        no_tests=no_tests,
        trust=trust,
        hidden=hidden_bytes,
        course=course_dir,
        modules=tuple(m.id for m in rubric.modules),
    )
    console.print(
        f"grading {len(learners)} learner(s), {jobs} at a time, {budget:g} s each"
        + (f" (shard {shard[0]}/{shard[1]})" if shard else "")
        + ("; WITHOUT a sandbox (--trust-workspaces)" if trust else "")
        + (f", with {hidden['points']} hidden points" if hidden["ran"] else "")
        + (f"; due {rubric.policy.due.isoformat()}" if rubric.policy.due else "")
    )
    with _sigterm_stops():
        grades = _run(learners, opts, out_dir, jobs)
    if shard is not None:
        from lab.grading.classbook import write_shard

        sha = hashlib.sha256(roster.read_bytes()).hexdigest()
        write_shard(out_dir, shard, sha, [g.learner.id for g in grades], opts.modules)
    _summary(grades, out_dir)
    if before is not None:
        lines = changes(before, grades, opts.modules)
        console.print(f"[bold]changes since {previous}[/]: {len(lines) or 'none'}")
        for line in lines:
            console.print(f"  {line}", soft_wrap=True, markup=False)


def _seeded(hidden: bytes | None) -> bytes | None:
    """The hidden rubric as one learner would get it (its $seed inputs filled), to validate."""
    from lab.authoring import seeded

    return None if hidden is None else seeded.render_text(hidden.decode(), "validation").encode()


def _refuse_without_sandbox(learners: list[Learner], trust: bool) -> None:
    """Exit (5) when a workspace's code would run and no sandbox can: unless `trust`."""
    from lab.sandbox import SandboxUnavailable, bwrap_path

    if trust or not any(learner.workspace for learner in learners):
        return  # rows with URLs only run no code of the learner's
    try:
        bwrap_path()
    except SandboxUnavailable as exc:
        err_console.print(f"[bold red]refused:[/] {exc}", soft_wrap=True)
        sys.exit(EXIT_NO_SANDBOX)


@grade.command("merge")
@click.argument("shards", nargs=-1, required=True,
                type=click.Path(path_type=Path, file_okay=False, exists=True))  # fmt: skip
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default="grades",
    show_default=True, help="Where the merged grade book goes.",
)  # fmt: skip
def merge(shards: tuple[Path, ...], out_dir: Path) -> None:
    """Join the folders of `lab grade ROSTER --shard K/N` (every K of 1..N) into one grade
    book: grades.csv, feedback/, evidence/ and the class report, as one run writes them.

    \b
    Example:
      lab grade merge shard-1 shard-2 shard-3 --out grades/
    """
    from lab.grading.classbook import MergeError
    from lab.grading.classbook import merge as merge_shards

    try:
        rows = merge_shards(list(shards), out_dir)
    except MergeError as exc:
        err_console.print(f"[bold red]cannot merge:[/] {exc}", soft_wrap=True)
        sys.exit(EXIT_BAD_ROSTER)
    console.print(
        f"[bold]{out_dir / 'grades.csv'}[/]: {len(rows)} learners from {len(shards)} shards"
    )


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
    console.print(f"class report: {out_dir / 'report.html'}  (report.csv, lms.csv)")
