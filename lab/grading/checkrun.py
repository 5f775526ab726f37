"""The grader's own `lab check` of one attempt: outside the sandbox, blind to the roster.

It runs as `python -I -m lab check` from the attempt's own folder (never the workspace, and
`-I` puts neither that folder nor PYTHON* variables on its import path: a workspace's `lab/`
package is not imported). The hidden rubric reaches it on stdin only: it is on no command line
and in no file. The learner's code it runs (interpreter, train command, tests, mutants) runs in
the learner's sandbox, described by a JSON file beside check.json, where the sandbox cannot see.
Its output is bounded, and so is every `observed` it reports, passes included.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from lab.acceptance.session import GRADED_CODES, SERVICES, CheckOptions
from lab.authoring.seeded import render_text
from lab.grading.labrun import RunningLab
from lab.grading.procs import Children, clean_env
from lab.grading.results import Attempt, Options
from lab.grading.roster import Learner
from lab.grading.snapshot import Snapshot
from lab.sandbox import Prepared, Sandbox, capture

#: The most of one criterion's `observed` kept (the learner's output may be in it).
OBSERVED_CHARS = 300
NOT_GIVEN = "not graded: no workspace given (the roster row has service URLs only)"


def check_options(
    learner: Learner, project: Path, urls: dict[str, str], own_lab: bool, opts: Options,
    run_dir: Path, sandbox: Sandbox | None, lab_home: Path | None = None,
) -> CheckOptions:  # fmt: skip
    """The grader's `lab check` of one attempt (its command: `.command(isolated=True)`)."""
    spec = None
    if sandbox is not None:
        spec = run_dir / "sandbox.json"
        spec.write_text(sandbox.to_json(), encoding="utf-8")
    return CheckOptions(
        urls={s: u for s, u in urls.items() if s in SERVICES},
        not_graded=tuple(s for s in SERVICES if s not in urls),
        json_path=str(run_dir / "check.json"),
        badges_dir=run_dir / "badges",
        html_path=run_dir / "check.html",
        run_tests=not opts.no_tests,
        fresh=True,  # every check runs: no pass kept by an earlier `lab check` counts here
        rubric=opts.rubric,
        extra_rubric=Path("-") if opts.hidden is not None else None,  # its bytes on stdin
        project_dir=project,
        python=Path(learner.python) if learner.python else None,
        fault_checks=True if own_lab else None,  # the lab is ours to stop and start
        api_log=Path(learner.api_log) if learner.api_log and not own_lab else None,
        lab_home=lab_home,
        sandbox=spec,
    )


def run_check(
    attempt: Attempt, learner: Learner, lab: RunningLab | None, sandbox: Sandbox | None,
    opts: Options, run_dir: Path, deadline: float, children: Children,
) -> None:  # fmt: skip
    """Grade the attempt with `lab check`; its result, or the problem, into `attempt`."""
    snap = attempt.snapshot
    project = snap.path if snap is not None else run_dir / "no-workspace"
    project.mkdir(exist_ok=True)
    urls = lab.urls if lab is not None else learner.urls
    home = Path(learner.lab_home) if learner.lab_home else run_dir / "home"
    env = clean_env(LAB_HOME=home, LAB_ENV_FILE=run_dir / "no.env")
    if lab is not None:
        env.update(lab.env)
        sandbox = lab.sandbox
    if snap is None:
        attempt.notes.append("no workspace in the roster: the project's files are not graded")
    if lab is not None:
        lab_home: Path | None = Path(lab.env["LAB_HOME"])
    else:  # the running lab the roster names, else the workspace's own (none without one)
        lab_home = Path(learner.lab_home) if learner.lab_home else None
        lab_home = lab_home or (None if snap is not None else home)
    options = check_options(
        learner, project, urls, lab is not None, opts, run_dir, sandbox, lab_home
    )
    args = options.command(isolated=True)
    log = run_dir / "check.log"
    if opts.course is not None:
        env["LAB_COURSE"] = str(opts.course)
    hidden = None
    if opts.hidden is not None:  # its $seed inputs rendered for this learner, never in a file
        hidden = render_text(opts.hidden.decode("utf-8"), learner.id).encode("utf-8")
    running = capture.start(Prepared(args, env), log, cwd=run_dir, stdin=hidden)
    children.add(running)
    try:
        running.wait(deadline - time.monotonic())
    finally:
        done = running.stop()
        children.discard(running)
    attempt.exit_code, attempt.log_tail = done.code, capture.tail_lines(log, 20)
    out = run_dir / "check.json"
    if done.code is None:
        attempt.problem = f"the time budget of {opts.budget:g} s per learner ran out in lab check"
    elif done.code not in GRADED_CODES or not out.is_file():
        attempt.problem = (
            f"lab check could not grade (exit code {done.code}): {capture.tail_lines(log, 4)}"
        )
    else:
        attempt.result = json.loads(out.read_text(encoding="utf-8"))
        if snap is not None:
            _assigned(attempt, learner, snap, opts)
        given = [] if snap is not None else [str(project), str(run_dir / "home")]
        attempt.result = honest(attempt.result, given)


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


def honest(result: dict[str, Any], not_given: list[str]) -> dict[str, Any]:
    """`result` with every `observed` bounded, the criteria the row gave nothing to grade (a
    file of a workspace it does not have: their `observed` names one of `not_given`) marked
    *not graded*, and `graded_max`: the points of what could be graded."""
    graded_max = result["max_points"]  # given modules are out of it already (assigned)
    for module in result["modules"]:
        for c in module["criteria"]:
            if module.get("given"):
                continue
            observed = str(c.get("observed") or "")
            if any(marker in observed for marker in not_given):
                c.update(status="skip", points=0, observed=NOT_GIVEN)
                observed = NOT_GIVEN
            if c["status"] == "skip" and observed.startswith("not graded"):
                graded_max -= int(c.get("weight", 0))
            if len(observed) > OBSERVED_CHARS:
                observed = observed[: OBSERVED_CHARS - 1] + "…"
            c["observed"] = observed
    result["graded_max"] = graded_max
    return result
