"""`lab exercise verify --path`: the course path, walked as a learner walks it, proves each module.

One course project from `lab course start` (lab.exercises.steps). For each module, in the
course's order:
  (d) from the second on, `lab course next` brings it: the module arrives (one commit), no file
      of the learner's is set aside (`FILE.next`), and every line the learner wrote at the
      earlier steps is still there, as written;
  (a) the step's starter fails every criterion of its module and leaves the modules solved
      before it passing (graded as verify grades a starter: lab.grading.verify), and its public
      tests (`tests/public -m Mx`) fail;
  (b) the learner solves the module: each of its TODOs replaced by the course's solution after a
      line of their own (lab.exercises.solving), then a commit;
  (c) `lab check` passes every criterion of the module, and the public tests of the module and
      of those before it pass.
The lab's services are verify's (MLflow, the CRM under `lab up` so M4.crm_down stops it for
real, Prometheus, lab home), started once; the project's API runs on verify's port for each
check. A step that cannot be taken (a TODO missing, `next` refused) ends the walk there.
"""

from __future__ import annotations

import contextlib
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lab import workspace
from lab.exercises import build, course, public, solving, steps
from lab.grading import verify, verify_run
from lab.grading.verify import Outcome

PROJECT = "course-project"  # the learner's project, in verify's folder
MODEL_NAME = "churn-course-path"


def verify_path(
    say: Callable[[str], None] = print,
    keep: Path | None = None,
    of: course.Course | None = None,
) -> list[Outcome]:
    """Walk course `of` (default: the lab's own) from `lab course start` to its last module;
    one Outcome per module, in order (the modules after a step that failed: not reached)."""
    of = of or course.load()
    ports = build.free_ports(preferred=())
    token = secrets.token_urlsafe(24)
    services = {s for m in of.modules for s in m.services}
    with contextlib.ExitStack() as stack:
        root = keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lab-path-")))
        env = verify_run.lab_env(root / verify_run.LAB_HOME, ports, token)
        verify.start_services(stack, root, services, env, ports, of)
        return Walk(root, ports, token, say, of).run()


class Walk:
    """One course project walked from its start to the course's last module."""

    def __init__(
        self,
        root: Path,
        ports: dict[str, int],
        token: str,
        say: Callable[[str], None],
        of: course.Course,
    ) -> None:
        self.root, self.ports, self.say, self.of = root, ports, say, of
        self.project = root / PROJECT
        self.settings: dict[str, object] = {**ports, "CRM_TOKEN": token, "MODEL_NAME": MODEL_NAME}
        self.blocks: list[tuple[str, tuple[str, ...]]] = []  # the learner's lines so far

    def run(self) -> list[Outcome]:
        steps.start(self.project, self.of, settings=self.settings)
        self.say(f"  course path: `lab course start` in {self.project}")
        outcomes: list[Outcome] = []
        for step, module in enumerate(self.of.ids):
            outcome = self.step(step, module)
            outcomes.append(outcome)
            self.say(f"  course path: {module} {'ok' if outcome.ok else 'FAILED'} "
                     f"({outcome.seconds:.0f} s)")  # fmt: skip
            if not outcome.ok:
                said = f"not reached: the course path stopped at {module}"
                outcomes += [Outcome(m, problems=[said]) for m in self.of.ids[step + 1 :]]
                break
        return outcomes

    def step(self, step: int, module: str) -> Outcome:
        started = time.monotonic()
        outcome = Outcome(module)
        try:
            if step:
                self.next(module, outcome)
            if outcome.ok:
                self.grade(step, module, outcome)
        except (steps.StepError, solving.SolveError) as exc:
            outcome.problems.append(str(exc))
        outcome.seconds = round(time.monotonic() - started, 1)
        return outcome

    def next(self, module: str, outcome: Outcome) -> None:
        """(d) `lab course next`: the module arrives, the learner's lines stay as written."""
        done = steps.advance(self.project)
        if done.module.id != module:
            outcome.problems.append(f"`lab course next` brought {done.module.id}, not {module}")
        if done.kept:
            outcome.problems.append(f"`lab course next` set the learner's {done.kept} aside")
        if not done.commits:
            outcome.problems.append("`lab course next` made no commit")
        lost = solving.missing(self.project, self.blocks)
        outcome.problems += [f"`lab course next` changed the learner's lines: {x}" for x in lost]
        outcome.notes.append(
            f"`lab course next`: {sum(done.regions.values())} TODO line(s), "
            f"{len(done.new_files)} new file(s); {len(self.blocks)} block(s) of the learner's "
            "lines kept"
        )

    def grade(self, step: int, module: str, outcome: Outcome) -> None:
        """(a) the starter fails, (b) the learner solves it, (c) the solved step passes."""
        before = [m for m in self.of.ids[:step] if m not in verify_run.NOT_REGRADED]
        # M1's starter has no .env yet, so nothing before it can run: graded on M1 alone
        starter = self.check(module, [*before, module] if step else [module])
        self.public(outcome, "starter", [*before, module], fails=module)
        solved = solving.solve(self.project, self.of, module, python=sys.executable)
        self.blocks += solved.blocks
        commit = solving.commit(self.project, f"Solve {module}")
        outcome.notes.append(f"solved: {len(solved.blocks)} TODO(s) filled, commit {commit}")
        solution = self.check(module, [module])
        outcome.graded = {"solution": solution, "starter": starter}
        verify.judge(outcome, solution, starter, self.ports, self.of)
        # every module's public tests once more at the end (M3's train: skipped in between)
        last = step == len(self.of.ids) - 1
        reached = self.of.ids[:step] if last else before
        self.public(outcome, "solved", [*reached, module])

    def check(self, module: str, graded: list[str]) -> dict[str, tuple[str, str]]:
        """`lab check` of `graded` in the project as it is now (its API up when they need one)."""
        ws = workspace.load(self.project)
        env = verify_run.child_env(self.ports, self.settings)
        env["LAB_ENV_FILE"] = str(ws.env_file)
        env["LAB_COURSE"] = str(self.of.root)
        if ws.env_file.is_file():
            verify_run.provide_model(ws, module, env, self.root / "model-cache", self.say)
        return verify_run.grade(ws, module, graded, self.ports, env, self.root, self.say, self.of)

    def public(self, outcome: Outcome, variant: str, modules: list[str], fails: str = "") -> None:
        """The public tests of `modules` on the project as it is now: those of `fails` fail
        (the starter's module), every other passes."""
        got = public.run(self.project, modules)
        if got is None:
            outcome.notes.append(f"{variant}: no public tests")
            return
        wanted = {fails.lower()} if fails else set()
        if got.failed != wanted or got.passed == bool(fails):
            failing = ", ".join(sorted(m.upper() for m in got.failed)) or "none"
            outcome.problems.append(f"{variant}: {got.line()} (failing: {failing})")
        else:
            outcome.notes.append(f"{variant}: {got.line()}")
