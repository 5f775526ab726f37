"""Grading a whole roster: `jobs` learners at a time, each in its own time budget.

One learner's failure (a dead service, a bad workspace, a budget that runs out) is that
learner's grade with its reason; the run always goes on to the next learner.
"""

from __future__ import annotations

import tempfile
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from lab.grading.classbook import finish
from lab.grading.grader import Attempt, Grade, Options, grade_learner
from lab.grading.outputs import MODULES, private_folder, write_learner
from lab.grading.procs import Children
from lab.grading.roster import Learner


@dataclass(frozen=True)
class Callbacks:
    started: Callable[[Learner], None] = lambda learner: None
    state: Callable[[Learner, str], None] = lambda learner, text: None
    done: Callable[[Grade], None] = lambda grade: None


def grade_roster(
    learners: Sequence[Learner], opts: Options, out: Path, jobs: int, events: Callbacks
) -> list[Grade]:
    """Grade every learner; write each one's feedback and evidence as it ends, then grades.csv
    and the class report (lab.grading.classbook)."""
    private_folder(out)
    grades: dict[str, Grade] = {}
    children = Children()
    with tempfile.TemporaryDirectory(prefix="lab-grade-") as work:
        pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="grade")
        try:
            futures = [
                pool.submit(_one, learner, opts, Path(work), events, children)
                for learner in learners
            ]
            for future in as_completed(futures):
                grade = future.result()
                write_learner(out, grade, opts.modules or MODULES)
                grades[grade.learner.id] = grade
                events.done(grade)
        except BaseException:  # Ctrl-C / SIGTERM: stop every learner's processes, then go
            pool.shutdown(wait=False, cancel_futures=True)
            children.stop_all()
            raise
        pool.shutdown(wait=True)
    ordered = [grades[learner.id] for learner in learners]
    finish(out, [learner.id for learner in learners], opts.modules or MODULES)
    return ordered


def _one(
    learner: Learner, opts: Options, work: Path, events: Callbacks, children: Children
) -> Grade:
    events.started(learner)
    try:
        report = lambda text: events.state(learner, text)  # noqa: E731
        return grade_learner(learner, opts, work, report, children)
    except Exception as exc:  # a grader bug must cost this learner a grade, never the run
        detail = "".join(traceback.format_exception_only(exc)).strip()
        attempt = Attempt(None, problem=f"the grader failed: {detail}")
        return Grade(learner, "error", [attempt], None, [])
