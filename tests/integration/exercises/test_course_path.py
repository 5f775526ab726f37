"""The course path, as a learner walks it, verified for real (`lab exercise verify --path`):
`lab course start`, then at each module the step's starter fails that module's criteria and its
public tests and leaves the modules before it passing; the module is solved in place with a line
of the learner's own in every part, committed; `lab check` passes every criterion of the module;
`lab course next` brings the next one and every line the learner wrote survives."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from lab.exercises import course, steps
from lab.grading import course_path

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]


def test_the_course_path_verifies_from_start_to_the_last_module(tmp_path: Path) -> None:
    of = course.load()
    started = time.monotonic()
    outcomes = course_path.verify_path(say=print, keep=tmp_path, of=of)
    print(f"verify --path {of.ids[0]}..{of.ids[-1]}: {time.monotonic() - started:.0f} s")
    for outcome in outcomes:
        print(outcome.module, f"{outcome.seconds:.0f} s", *outcome.notes, sep="\n  ")
    assert {o.module: o.problems for o in outcomes if o.problems} == {}
    assert [o.module for o in outcomes] == list(of.ids)
    for outcome in outcomes:  # each step graded its module: failing first, then passing
        own = [c for c in outcome.graded["solution"] if c.startswith(f"{outcome.module}.")]
        assert own and all(c in outcome.graded["starter"] for c in own), outcome.module
    # later steps graded the modules before them on their starter (M2 at M4's step, say)
    assert any(c.startswith("M2.") for c in outcomes[3].graded["starter"])
    _m4_fault_check_ran(outcomes[3])

    project = tmp_path / course_path.PROJECT
    git_log = ["git", "log", "--reverse", "--format=%s"]
    log = subprocess.run(git_log, cwd=project, capture_output=True, text=True, check=True)
    wanted = [f"Course start: {of.ids[0]} ({of.modules[0].title})", f"Solve {of.ids[0]}"]
    for before, m in zip(of.ids, of.modules[1:], strict=False):
        # `lab course next` first commits what changed since: progress.json, `lab check`'s
        wanted += [f"Your work up to {before}", f"Course: {m.id} ({m.title}) arrives"]
        wanted += [f"Solve {m.id}"]
    assert log.stdout.splitlines() == wanted
    for module in of.ids:  # the learner's own line of each module, still in the last step
        text = subprocess.run(["git", "grep", "-c", f"my own line in {module} ("], cwd=project,
                              capture_output=True, text=True).stdout  # fmt: skip
        assert text.strip(), module
    with pytest.raises(steps.StepError, match="last module"):
        steps.advance(project)


def _m4_fault_check_ran(m4: course_path.Outcome) -> None:
    """M4.crm_down stopped verify's CRM through `lab up` on the solved step, for real."""
    status, observed = m4.graded["solution"]["M4.crm_down"]
    assert status == "pass" and "running again" in observed, observed
    assert any(n.startswith("M4.crm_down: ran") for n in m4.notes), m4.notes
