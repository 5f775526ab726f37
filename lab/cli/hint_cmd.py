"""`lab hint` (the ladder of one criterion) and `lab quiz` (a module's self-check)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from lab.cli._common import (
    LabError,
    console,
    course_dir,
    default_lang,
    default_rubric,
    get_settings,
)

LANGS = ("en", "zh-TW")


def _lang_option(func: Any) -> Any:
    return click.option(
        "--lang", type=click.Choice(LANGS), default=default_lang,
        help="Language of the text.  [default: from LANG, else en]",
    )(func)  # fmt: skip


def _workspace() -> Any:
    from lab import workspace

    try:
        return workspace.find()
    except workspace.WorkspaceError as exc:
        raise LabError(str(exc)) from None


def _course() -> Any:
    """The workspace's course, else LAB_COURSE's, else the lab's default course."""
    from lab.exercises import course

    try:
        return course.load(course_dir(get_settings()))
    except course.CourseError as exc:
        raise LabError(str(exc)) from None


def _criterion(criterion: str) -> Any:
    from lab.acceptance import RubricError, load_rubric

    try:
        rubric = load_rubric(default_rubric(get_settings()))
    except RubricError as exc:
        raise LabError(str(exc)) from None
    found = [c for m in rubric.modules for c in m.criteria if c.id.lower() == criterion.lower()]
    if not found:
        raise click.BadParameter(f"no criterion {criterion!r} in the rubric (see `lab check`)")
    return found[0]


@click.command("hint")
@click.argument("criterion")
@click.option(
    "--level", type=click.IntRange(1, 3),
    help="Show this level again (1 what and why, 2 concept and API, 3 the solution) instead "
    "of the next one.",
)  # fmt: skip
@_lang_option
def hint(criterion: str, level: int | None, lang: str) -> None:
    """The next hint for a criterion (three levels), e.g. `lab hint M4.crm_record`; recorded.

    \b
    lab hint M2.reject             # level 1, then 2, then 3 on the next calls
    lab hint M2.reject --level 1   # read an earlier level again
    lab hint M2.reject --lang zh-TW
    """
    from lab.exercises import ladder, progress, source

    c = _criterion(criterion)
    of = _course()
    ws = _workspace()
    _allowed(of, c.id, ws, level)
    if ws is not None:
        level = progress.use_hint(ws.root, c.id, ladder.LEVELS, level)
    level = level or 1
    title = c.title_zh_tw if lang == "zh-TW" else c.title
    console.print(f"[bold]{c.id}[/] {title} — hint {level}/{ladder.LEVELS}", soft_wrap=True)
    steps = ladder.ladder(
        c.id, c.what_to_do(lang, in_workspace=ws is not None),
        files=source.project_files(of.project_dir), teaching_dir=of.root / "teaching",
    )  # fmt: skip
    # verbatim: a solution's `[float(v) for v in row]` is code, not Rich markup
    click.echo(steps.text(level, lang, ws.root if ws is not None else None))


def _allowed(of: Any, cid: str, ws: Any, level: int | None) -> None:
    """Refuse a level the course's hint policy keeps closed, saying when it opens."""
    from lab.exercises import hint_policy, ladder, progress, source

    try:
        policy = hint_policy.load(of)
    except hint_policy.PolicyError as exc:
        raise LabError(str(exc)) from None
    used = progress.hints_used(ws.root, cid) if ws is not None else 0
    wanted = level or min(used + 1, ladder.LEVELS)
    if wanted >= hint_policy.SOLUTION_LEVEL and not source.holds_solutions(of.project_dir):
        raise LabError(
            f"{cid}: this course's solutions stay with your instructor (level "
            f"{hint_policy.SOLUTION_LEVEL}); ask for a catch-up pack (`lab course catch-up`)"
        )
    failures = progress.failures(ws.root, cid) if ws is not None else 0
    refusal = policy.refusal(wanted, failures=failures)
    if refusal is not None:
        raise LabError(f"{cid}: {refusal}")


@click.command("quiz")
@click.argument("module")
@_lang_option
@click.option(
    "--answers", metavar="N,N,...",
    help="Answer every question at once (1-based choices, comma-separated) instead of one by one.",
)  # fmt: skip
def quiz(module: str, lang: str, answers: str | None) -> None:
    """A module's self-check (3-5 questions), e.g. `lab quiz M3`; answers go with your progress.

    \b
    lab quiz M3                    # asks each question, explains each answer
    lab quiz M3 --lang zh-TW
    lab quiz M3 --answers 2,1,3    # non-interactive
    """
    from lab.exercises import progress, teaching

    of = _course()
    try:
        found = teaching.quiz(of.get(module).id, of.root / "teaching")
    except (teaching.TeachingError, KeyError) as exc:
        raise LabError(str(exc)) from None
    given = _parse(answers, len(found.questions)) if answers else None
    chosen: list[int] = []
    for number, q in enumerate(found.questions, 1):
        click.echo(f"\n{number}. {q.question.get(lang)}")
        for i, choice in enumerate(q.choices, 1):
            click.echo(f"   {i}) {choice.get(lang)}")
        pick = given[number - 1] if given else click.prompt(
            "  >", type=click.IntRange(1, len(q.choices))
        )  # fmt: skip
        if pick > len(q.choices):
            raise click.BadParameter(
                f"question {number} has {len(q.choices)} choices", param_hint="--answers"
            )
        chosen.append(pick)
        right = pick == q.answer
        mark = (
            ("答對" if lang == "zh-TW" else "right")
            if right
            else ("答錯" if lang == "zh-TW" else "wrong")
        )
        click.echo(f"   {mark}: {q.explain.get(lang)}")
    correct = sum(1 for q, a in zip(found.questions, chosen, strict=True) if a == q.answer)
    console.print(f"\n[bold]{found.module}[/]: {correct}/{len(chosen)}")
    ws = _workspace()
    if ws is None:
        console.print("not in a workspace: the answers are not recorded")
        return
    path: Path = progress.record_quiz(ws.root, found.module, chosen, correct)
    console.print(f"recorded in {path}", soft_wrap=True)


def _parse(raw: str, count: int) -> list[int]:
    try:
        picks = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(
            f"{raw!r}: give numbers, e.g. 2,1,3", param_hint="--answers"
        ) from None
    if len(picks) != count or min(picks) < 1:
        raise click.BadParameter(
            f"{raw!r}: give one choice (1, 2, ...) for each of the {count} questions",
            param_hint="--answers",
        )
    return picks


def register(group: click.Group) -> None:
    group.add_command(hint)
    group.add_command(quiz)
