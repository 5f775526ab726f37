"""Grading one learner: copy the workspace, run its lab in its sandbox, `lab check` it, keep the
best attempt.

Everything the learner wrote runs in a sandbox (lab.sandbox: bubblewrap), one per attempt: its
lab (`lab up`), its interpreter, its train and test commands. The grader's `lab check` runs
outside it (lab.grading.checkrun). Each learner is graded within its time budget, and a learner
over a bound (size, files, time) gets `error` with the reason; the others are unaffected.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from lab.grading.checkrun import run_check
from lab.grading.labrun import RunningLab, workspace_lab
from lab.grading.procs import Children
from lab.grading.results import UNSANDBOXED, Attempt, Grade, Options, Report
from lab.grading.roster import Learner
from lab.grading.snapshot import Snapshot, SnapshotError, snapshots
from lab.sandbox import Sandbox, SandboxUnavailable, capture

__all__ = ["Attempt", "Grade", "Options", "grade_learner"]

#: Seconds kept for `lab check` when a workspace's lab is slow to answer.
CHECK_RESERVE = 45.0


def grade_learner(
    learner: Learner, opts: Options, work: Path, report: Report, children: Children
) -> Grade:
    """Grade `learner` within `opts.budget` seconds; never raises for the learner's faults."""
    started = time.monotonic()
    deadline = started + opts.budget
    with tempfile.TemporaryDirectory(prefix=f"lab-grade-{learner.id}-", dir=work) as tmp:
        attempts: list[Attempt] = []
        notes: list[str] = []
        if opts.trust and learner.workspace is not None:
            notes.append(UNSANDBOXED)
        try:
            if learner.workspace is not None:
                report("copying the workspace")
                candidates: list[Snapshot | None] = list(
                    snapshots(learner.workspace, Path(tmp) / "src", opts.policy,
                              received=learner.received, limits=opts.limits, deadline=deadline)
                )  # fmt: skip
                for snap in candidates:
                    notes += [f for f in (snap.flags if snap else ()) if f not in notes]
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


def sandbox_for(learner: Learner, snap: Snapshot, opts: Options) -> Sandbox:
    """The attempt's sandbox: its copy writable; read-only beside the lab, the interpreter the
    instructor's roster names (never one a workspace names: that would bind any folder)."""
    extra = []
    if learner.python:
        venv = Path(learner.python).parent.parent
        extra.append(venv if (venv / "pyvenv.cfg").is_file() else Path(learner.python).parent)
    return Sandbox.create(snap.path, extra, trust=opts.trust)


def _attempt(
    learner: Learner, snap: Snapshot | None, opts: Options, run_dir: Path, deadline: float,
    report: Report, children: Children,
) -> Attempt:  # fmt: skip
    attempt = Attempt(snap)
    t0 = time.monotonic()
    label = f" ({snap.describe()})" if snap and snap.commit else ""
    try:
        sandbox = sandbox_for(learner, snap, opts) if snap is not None else None
        with _services(learner, snap, sandbox, opts, run_dir, deadline, report, label,
                       children) as lab:  # fmt: skip
            if lab is not None:
                attempt.notes.append(lab.note())
            report(f"lab check{label}")
            run_check(attempt, learner, lab, sandbox, opts, run_dir, deadline, children)
            if lab is not None:
                attempt.lab_log_tail = _tail(lab.log)
    except SandboxUnavailable as exc:
        attempt.problem = f"no sandbox for the workspace's code: {exc}"
    except OSError as exc:
        attempt.problem = f"could not run the grading: {exc}"
    attempt.seconds = round(time.monotonic() - t0, 1)
    return attempt


def _tail(log: Path) -> str:
    return capture.tail_lines(log, 30)


@contextlib.contextmanager
def _services(
    learner: Learner, snap: Snapshot | None, sandbox: Sandbox | None, opts: Options,
    run_dir: Path, deadline: float, report: Report, label: str, children: Children,
) -> Iterator[RunningLab | None]:  # fmt: skip
    """The workspace's own lab (started here, in its sandbox) or None (URLs are graded)."""
    if learner.runs_own_lab and snap is not None and sandbox is not None:
        report(f"starting the workspace's lab{label}")
        wait = min(opts.lab_wait, max(deadline - time.monotonic() - CHECK_RESERVE, 5.0))
        with workspace_lab(snap.path, sandbox, run_dir / "lab-up.log", wait, children) as lab:
            yield lab
        return
    yield None


def _all_passed(result: dict[str, Any]) -> bool:
    """Every criterion passed, the instructor's included when they weigh anything."""
    hidden = result.get("hidden") or {}
    return bool(result.get("passed")) and (bool(hidden.get("ran")) or not hidden.get("points"))
