"""M6.mutants: the workspace's tests pass on the correct service and fail on each broken one.

The broken services are the lab's mutants of the exercise's solved app (lab.exercises.mutants,
their one owner): the learner's tests/ run beside the unmodified app first (tests that fail there
catch nothing), then beside each mutant, at most `workers` at a time. The mutants are patches of
the exercise's app, so the kind grades exercise workspaces only; elsewhere (e.g. the lab's own
checkout) the criterion is left out of the run and of the maximum (see Schedule.workspace_only).
"""

from __future__ import annotations

import time

from pydantic import Field

from lab.acceptance.checks._base import (
    CheckContext,
    CheckError,
    CheckFailed,
    CheckSkipped,
    Lane,
    Params,
    Schedule,
    short,
)
from lab.acceptance.checks.kinds import CHECK_KINDS
from lab.exercises import course, mutants, source

#: seconds kept back from the budget so the check answers before the runner gives up on it
MARGIN = 5.0


class MutantParams(Params):
    # it runs the project's interpreter on copies; no live service
    # five runs of a small suite (the unmodified app and four mutants)
    schedule = Schedule(
        Lane.ISOLATED,
        timeout=300.0,
        workspace_only="the broken variants are patches of the exercise's app: workspaces only",
    )
    #: mutant runs at a time (default: one per CPU, at most one per mutant)
    workers: int | None = Field(None, ge=1, le=16)


def _hint(missed: list[mutants.MutantResult]) -> tuple[str, str]:
    by_name = {m.name: m for m in mutants.MUTANTS}
    en = "; ".join(by_name[r.name].missing for r in missed)
    zh = "；".join(by_name[r.name].missing_zh_tw for r in missed)
    return (
        f"Your tests miss a broken service: {en}. Add a test that fails on it and passes on "
        "the correct app.",
        f"你的測試沒抓到壞掉的服務：{zh}。請加上一個在它上面會失敗、在正確的應用程式上會通過的測試。",
    )


def _course(ctx: CheckContext) -> course.Course:
    """The course whose solution the mutants patch: LAB_COURSE (what `lab grade --course` sets),
    else the workspace's, else the lab's; one whose solution stays with the instructor (a
    release) skips the check."""
    try:
        given = ctx.settings.LAB_COURSE
        of = course.load(given or (ctx.workspace.course_dir if ctx.workspace else None))
    except course.CourseError as exc:
        raise CheckError(str(exc)) from None
    if not source.holds_solutions(of.project_dir):
        raise CheckSkipped(
            "the course's solution stays with your instructor: `lab grade` grades the mutants"
        )
    return of


@CHECK_KINDS.kind("tests_catch_mutants", MutantParams)
def catches_mutants(params: MutantParams, ctx: CheckContext) -> str:
    """The workspace's tests fail on each broken variant of the app the lab ships (workspaces)."""
    if not ctx.run_tests:
        raise CheckSkipped("skipped with --no-tests")
    if ctx.workspace is None:  # the runner leaves it out; a rubric built in code may not
        raise CheckSkipped(MutantParams.schedule.workspace_only or "exercise workspaces only")
    python = str(ctx.interpreter())
    if not ctx.project_file("tests").is_dir():
        raise CheckFailed(f"no tests/ folder in {ctx.project_dir}")
    deadline = time.monotonic() + ctx.timeout - MARGIN
    left = lambda: deadline - time.monotonic()  # noqa: E731
    of = _course(ctx)
    try:
        base, found = mutants.checked(
            ctx.project_dir, python, left(), params.workers, of, sandbox=ctx.sandbox
        )
        if base.code is None:
            raise CheckError(f"the tests on the correct app did not finish: {base.summary}")
        if not base.passed:
            raise CheckFailed(
                f"the tests fail on the correct app (exit {base.code}: {short(base.summary, 90)}):"
                " tests that always fail catch nothing",
                hint="Make `python -m pytest` pass on the correct app first (M6.tests), then "
                "check that each test fails when the behaviour it covers breaks.",
                hint_zh_tw="先讓 `python -m pytest` 在正確的應用程式上通過（M6.tests），"
                "再確認每個測試在它涵蓋的行為壞掉時會失敗。",
            )
        results = found or []
    except mutants.MutantError as exc:  # the lab's own bug (a unit test guards it)
        raise CheckError(f"the lab's mutants do not apply to its solution: {exc}") from None
    slow = [r.name for r in results if r.timed_out]
    if slow:
        raise CheckError(
            f"the tests did not finish within the {ctx.timeout:g} s budget on {', '.join(slow)}"
        )
    missed = [r for r in results if not r.caught]
    caught = [r.name for r in results if r.caught]
    if missed:
        hint, hint_zh = _hint(missed)
        shown = "; ".join(f"{r.name} ({r.what}: {short(r.summary, 50)})" for r in missed)
        raise CheckFailed(
            f"missed {len(missed)} of {len(results)} broken variants: {shown}"
            + (f"; caught {', '.join(caught)}" if caught else ""),
            hint=hint,
            hint_zh_tw=hint_zh,
        )
    return (
        f"pass on the correct app ({short(base.summary, 60)}), fail on each of "
        f"{len(results)} broken variants: {', '.join(caught)}"
    )


class HiddenMutantParams(MutantParams):
    pass


@CHECK_KINDS.kind("tests_catch_hidden_mutants", HiddenMutantParams)
def catches_hidden_mutants(params: HiddenMutantParams, ctx: CheckContext) -> str:
    """The workspace's tests fail on the instructor's hidden mutants (instructor/mutants.yml of
    the course); what is said names none of them: "caught k of n hidden mutants"."""
    if not ctx.run_tests:
        raise CheckSkipped("skipped with --no-tests")
    if ctx.workspace is None:
        raise CheckSkipped(MutantParams.schedule.workspace_only or "exercise workspaces only")
    if not ctx.project_file("tests").is_dir():
        raise CheckFailed(f"no tests/ folder in {ctx.project_dir}")
    of = _course(ctx)
    python = str(ctx.interpreter())
    deadline = time.monotonic() + ctx.timeout - MARGIN
    try:
        hidden = mutants.hidden(of)
        if not hidden:
            raise CheckSkipped("the course has no hidden mutants")
        left = deadline - time.monotonic()
        base, found = mutants.checked(
            ctx.project_dir, python, left, params.workers, of, hidden, ctx.sandbox
        )
        if found is None:
            results = [mutants.MutantResult("", "", False, base.summary) for _ in hidden]
        else:
            results = found
    except mutants.MutantError:  # its text may name the mutant: said to the instructor only
        raise CheckError("the course's hidden mutants do not apply (`lab course lint`)") from None
    caught = sum(1 for r in results if r.caught)
    said = f"caught {caught} of {len(results)} hidden mutants"
    if caught < len(results):
        raise CheckFailed(
            said + ("" if base.passed else " (the tests fail on the correct app)"),
            hint="Your tests miss bugs the course keeps hidden: test more of the behaviour the "
            "tasks describe (every endpoint, counter and CRM write), not only the named bugs.",
            hint_zh_tw="你的測試沒抓到課程保留的隱藏錯誤：請測試任務描述的更多行為"
            "（每個端點、計數器與 CRM 寫入），不只列出的那幾個錯誤。",
        )
    return said
