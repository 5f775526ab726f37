"""`lab check`'s run on the terminal: the progress bar, each module's table and the total, the
reports written (results JSON, badges, HTML), the project's progress and its public tests."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from lab.cli.check_tables import module_table

if TYPE_CHECKING:
    from lab.acceptance import CheckContext, Rubric, RunResult


def record_progress(project_dir: Path, result: RunResult, out: Console) -> None:
    """Inside an exercise workspace: append this run to progress.json (lab.exercises)."""
    from lab.exercises.progress import after_check

    line = after_check(project_dir, result.to_json())
    if line:
        out.print(line, soft_wrap=True)


def public_tests(ctx: CheckContext, modules: list[str], out: Console) -> None:
    """The course's public tests of the graded modules (a course project's tests/public), in
    the project's interpreter: reported beside the criteria, not graded."""
    from lab.exercises import public

    python = str(ctx.python) if ctx.python else None
    got = public.run(Path(ctx.project_dir), modules, python)
    if got is not None:
        colour = "green" if got.passed else "yellow"
        out.print(f"[{colour}]{escape(got.line())}[/]", soft_wrap=True)


def run(
    rubric: Rubric, ctx: CheckContext, modules: list[str], out: Console, lang: str
) -> RunResult:
    from lab.acceptance import Events, run_rubric
    from lab.acceptance.runner import applicable

    chosen = [rubric.module(m) for m in modules] if modules else rubric.modules
    selected = [applicable(m, ctx) for m in chosen]
    total = sum(len(m.criteria) for m in selected)
    out.print(f"[bold]{rubric.title}[/]: {total} criteria in {len(selected)} modules")
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        console=out, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task("starting", total=total)
        events = Events(
            criterion_started=lambda m, c: progress.update(task, description=f"{c.id} {c.title}"),
            criterion_done=lambda m, r: progress.advance(task),
            module_done=lambda m: progress.console.print(module_table(m, lang)),
        )
        result = run_rubric(rubric, ctx, modules or None, events)
    colour = "green" if result.passed else ("red" if result.counts["fail"] else "yellow")
    out.print(
        f"[bold {colour}]total {result.points}/{result.max_points} ({result.percent:g}%)[/] · "
        f"{result.counts['pass']} passed, {result.counts['fail']} failed, "
        f"{result.counts['skip']} skipped, {result.counts['error']} could not run · "
        f"{result.duration_seconds:.1f} s"
    )
    for cid, why in result.not_applicable.items():
        out.print(f"[dim]{cid} not graded here, nor counted: {escape(why)}[/]", soft_wrap=True)
    if result.docs_base != Path(ctx.project_dir).resolve().as_uri() + "/":
        # the guide links above are relative to the lab's own files (a pip install's, say)
        where = f"guides:  {result.docs_base} (the links above are relative to it)"
        out.print(where, soft_wrap=True)
    return result


def write_outputs(
    result: RunResult, reports: Path, json_path: str | None, badges_dir: Path | None,
    html_path: Path | None, out: Console,
) -> None:  # fmt: skip
    from lab.acceptance import write_badges, write_html

    if json_path == "-":
        click.echo(result.to_json())
    else:
        written = result.write(Path(json_path) if json_path else reports / "check.json")
        out.print(f"results: {written}", soft_wrap=True)
    badges = write_badges(result, badges_dir or reports / "badges")
    out.print(
        f"badges:  {badges[0].parent} ({len(badges) // 2} SVG + shields.io JSON)", soft_wrap=True
    )
    out.print(f"report:  {write_html(result, html_path or reports / 'check.html')}", soft_wrap=True)
