"""Grading one learner: copy the workspace, run its lab if needed, `lab check` it, keep the best.

`lab check` runs as a child process (`python -m lab check --json ...`): each learner is graded
exactly as `lab check` grades, isolated from the others, and a time budget that runs out stops
that learner's processes only.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from lab.acceptance.policy import Policy
from lab.authoring import seeded
from lab.grading.labrun import RunningLab, workspace_lab
from lab.grading.procs import Children, clean_env, run_bounded, tail
from lab.grading.roster import SERVICES, Learner
from lab.grading.snapshot import Snapshot, SnapshotError, snapshots

#: `lab check` exit codes that mean it graded (all passed, some failed, skipped, errored)
GRADED_CODES = {0, 1, 3, 4}
#: Seconds kept for `lab check` when a workspace's lab is slow to answer.
CHECK_RESERVE = 45.0


@dataclass(frozen=True)
class Options:
    rubric: Path
    extra_rubric: Path | None
    policy: Policy
    budget: float  # seconds per learner, everything included
    no_tests: bool = False
    lab_wait: float = 120.0  # at most this long for a workspace's lab to answer
    #: the instructor's course (its solutions for the mutants), given to `lab check` as LAB_COURSE
    course: Path | None = None
    #: the rubric's module ids, grades.csv's columns (empty: the lab's M1..M6)
    modules: tuple[str, ...] = ()


@dataclass
class Attempt:
    """One `lab check` run of a learner (a workspace at one commit, or the learner's URLs)."""

    snapshot: Snapshot | None
    result: dict[str, Any] | None = None  # check.json
    exit_code: int | None = None
    problem: str = ""  # why there is no result
    notes: list[str] = field(default_factory=list)
    log_tail: str = ""
    lab_log_tail: str = ""  # the end of `lab up`'s log, for a lab `lab grade` ran
    seconds: float = 0.0
    #: the learner's committed progress.json (lab.grading.assigned), for the instructor only
    self_reported: dict[str, Any] | None = None

    @property
    def penalty(self) -> float:
        return self.snapshot.penalty_percent if self.snapshot else 0.0

    @property
    def score(self) -> float:
        """Points after the late penalty (0 without a result)."""
        if self.result is None:
            return 0.0
        return round(self.result["points"] * (100.0 - self.penalty) / 100.0, 1)


@dataclass
class Grade:
    learner: Learner
    status: str  # complete | incomplete | late | unreachable | timeout | error
    attempts: list[Attempt]
    chosen: Attempt | None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return self.chosen.score if self.chosen else 0.0

    def module_points(self) -> dict[str, int]:
        result = self.chosen.result if self.chosen else None
        if result is None:
            return {}
        return {m["id"]: m["points"] for m in result["modules"]}


Report = Callable[[str], None]


def grade_learner(
    learner: Learner, opts: Options, work: Path, report: Report, children: Children
) -> Grade:
    """Grade `learner` within `opts.budget` seconds; never raises for the learner's faults."""
    started = time.monotonic()
    deadline = started + opts.budget
    with tempfile.TemporaryDirectory(prefix=f"lab-grade-{learner.id}-", dir=work) as tmp:
        attempts: list[Attempt] = []
        notes: list[str] = []
        try:
            if learner.workspace is not None:
                report("copying the workspace")
                candidates: list[Snapshot | None] = list(
                    snapshots(learner.workspace, Path(tmp) / "src", opts.policy)
                )
            else:
                candidates = [None]
                if opts.policy.due is not None:
                    notes.append("live services are graded as they are now: no deadline applies")
        except (SnapshotError, OSError) as exc:
            attempt = Attempt(None, problem=f"cannot copy the workspace: {exc}")
            return _finish(learner, [attempt], notes, started, "error")
        for n, snap in enumerate(candidates):
            run_dir = Path(tmp) / f"run{n}"
            run_dir.mkdir()
            attempts.append(_attempt(learner, snap, opts, run_dir, deadline, report, children))
            if time.monotonic() >= deadline:
                break
        if learner.urls and not _any_answers(learner.urls):
            notes.append("none of the learner's services answered")
            return _finish(learner, attempts, notes, started, "unreachable")
        return _finish(learner, attempts, notes, started)


def _finish(
    learner: Learner, attempts: list[Attempt], notes: list[str], started: float,
    status: str | None = None,
) -> Grade:  # fmt: skip
    graded = [a for a in attempts if a.result is not None]
    chosen = max(graded, key=lambda a: a.score) if graded else None
    if status is None:
        if chosen is None:
            status = "timeout" if any("time budget" in a.problem for a in attempts) else "error"
        elif chosen.penalty:
            status = "late"
        else:
            status = "complete" if chosen.result and _all_passed(chosen.result) else "incomplete"
    if chosen is not None and len(graded) > 1:
        others = [a for a in graded if a is not chosen]
        notes.append(
            "kept the better of: "
            + "; ".join(f"{_what(a)} → {a.score:g}" for a in [chosen, *others])
        )
    return Grade(learner, status, attempts, chosen, notes, round(time.monotonic() - started, 1))


def _what(attempt: Attempt) -> str:
    return attempt.snapshot.describe() if attempt.snapshot else "the learner's services"


def _any_answers(urls: dict[str, str]) -> bool:
    for url in urls.values():
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=3.0)
            return True
    return False


def _attempt(
    learner: Learner, snap: Snapshot | None, opts: Options, run_dir: Path, deadline: float,
    report: Report, children: Children,
) -> Attempt:  # fmt: skip
    attempt = Attempt(snap)
    t0 = time.monotonic()
    label = f" ({snap.describe()})" if snap and snap.commit else ""
    try:
        with _services(learner, snap, opts, run_dir, deadline, report, label, children) as (
            lab,
            env,
        ):
            if lab is not None:
                attempt.notes.append(lab.note())
            urls = lab.urls if lab is not None else learner.urls
            report(f"lab check{label}")
            _run_check(
                attempt, learner, snap, urls, lab is not None, env, opts, run_dir, deadline,
                children,
            )  # fmt: skip
            if lab is not None:
                attempt.lab_log_tail = tail(lab.log, 30)
    except OSError as exc:
        attempt.problem = f"could not run the grading: {exc}"
    attempt.seconds = round(time.monotonic() - t0, 1)
    return attempt


@contextlib.contextmanager
def _services(
    learner: Learner, snap: Snapshot | None, opts: Options, run_dir: Path, deadline: float,
    report: Report, label: str, children: Children,
) -> Iterator[tuple[RunningLab | None, dict[str, str]]]:  # fmt: skip
    """The workspace's own lab (started here) or nothing (the learner's URLs are graded)."""
    if learner.runs_own_lab and snap is not None:
        report(f"starting the workspace's lab{label}")
        wait = min(opts.lab_wait, max(deadline - time.monotonic() - CHECK_RESERVE, 5.0))
        with workspace_lab(snap.path, run_dir / "lab-up.log", wait, children) as lab:
            yield lab, lab.env
        return
    home = learner.lab_home or run_dir / "home"  # the learner's, read in place, when given
    yield None, clean_env(LAB_HOME=home, LAB_ENV_FILE=run_dir / "no.env")


def _run_check(
    attempt: Attempt, learner: Learner, snap: Snapshot | None, urls: dict[str, str],
    own_lab: bool,
    env: dict[str, str], opts: Options, run_dir: Path, deadline: float, children: Children,
) -> None:  # fmt: skip
    project = snap.path if snap is not None else run_dir / "no-workspace"
    project.mkdir(exist_ok=True)
    out = run_dir / "check.json"
    args = [
        sys.executable, "-m", "lab", "check", "--json", str(out),
        "--badges", str(run_dir / "badges"), "--html", str(run_dir / "check.html"),
        "--rubric", str(opts.rubric), "--project-dir", str(project),
        "--fresh",  # every check runs: no pass kept by an earlier `lab check` counts here
    ]  # fmt: skip
    if opts.extra_rubric is not None:  # its $seed inputs rendered for this learner
        hidden = seeded.render(opts.extra_rubric, learner.id, run_dir / "hidden-rubric.yml")
        args += ["--extra-rubric", str(hidden)]
    if opts.no_tests:
        args.append("--no-tests")
    if learner.python:
        args += ["--python", learner.python]
    if learner.api_log and not own_lab:
        args += ["--api-log", learner.api_log]
    for service in SERVICES:
        if service in urls:
            args.append(f"--{service}-url={urls[service]}")
        else:
            args += ["--no-service", service]
    if own_lab:
        args.append("--fault-checks")  # the lab is ours to stop and start: fault checks run
    if snap is None:
        attempt.notes.append("no workspace in the roster: the project's files are not graded")
    if opts.course is not None:
        env = {**env, "LAB_COURSE": str(opts.course)}
    log = run_dir / "check.log"
    code = run_bounded(args, project, env, log, deadline - time.monotonic(), children)
    attempt.exit_code, attempt.log_tail = code, tail(log, 20)
    if code is None:
        attempt.problem = f"the time budget of {opts.budget:g} s per learner ran out in lab check"
    elif code not in GRADED_CODES or not out.is_file():
        attempt.problem = f"lab check could not grade (exit code {code}): {tail(log, 4)}"
    else:
        attempt.result = json.loads(out.read_text(encoding="utf-8"))
        if snap is not None:
            _assigned(attempt, learner, snap, opts)


def _all_passed(result: dict[str, Any]) -> bool:
    """Every criterion passed, the instructor's included when they weigh anything."""
    hidden = result.get("hidden") or {}
    return bool(result.get("passed")) and (bool(hidden.get("ran")) or not hidden.get("points"))


def _assigned(attempt: Attempt, learner: Learner, snap: Snapshot, opts: Options) -> None:
    """Modules given (solved by the course, or by a catch-up pack) are not the learner's points;
    the learner's progress.json is kept, self-reported."""
    from lab.exercises import course
    from lab.grading import assigned

    assert attempt.result is not None
    history = snap.path
    if not (snap.path / ".git").exists() and learner.workspace and "://" not in learner.workspace:
        history = Path(learner.workspace)  # a folder copied without .git: its own history
    try:
        of = course.load(opts.course) if opts.course is not None else None
    except course.CourseError:
        of = None
    given = assigned.given_modules(snap.path, of, history)
    attempt.result = assigned.mark_given(attempt.result, given)
    attempt.self_reported = assigned.self_reported(snap.path)
