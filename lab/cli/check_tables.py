"""The tables `lab check` prints: one per module, and the course-coverage table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from lab.acceptance.results import ModuleResult, RunResult
    from lab.acceptance.rubric import Rubric

ICONS = {
    "pass": "[green]✔ pass[/]",
    "fail": "[red]✘ fail[/]",
    "skip": "[dim]– skip[/]",
    "error": "[magenta]! error[/]",
}


def module_table(module: ModuleResult, lang: str) -> Table:
    zh = lang == "zh-TW"
    title = module.title_zh_tw if zh else module.title
    table = Table(
        title=f"{module.id} {title} — {module.points}/{module.max_points}",
        title_justify="left", title_style="bold", expand=True,
    )  # fmt: skip
    table.add_column("", width=7, no_wrap=True)
    table.add_column("criterion", ratio=2)
    table.add_column("pts", justify="right", width=5, no_wrap=True)
    table.add_column("observed", ratio=3)
    for c in module.criteria:
        detail = escape(c.observed)
        if c.status == "fail":
            hint = (c.hint_zh_tw or c.hint) if zh else c.hint
            link = c.docs_zh_tw if zh else c.docs
            detail += f"\n[yellow]→ {escape(hint)}[/]\n[dim]{link}[/]"
        name = c.title_zh_tw if zh else c.title
        table.add_row(
            ICONS[c.status], f"[bold]{c.id}[/] {escape(name)}", f"{c.points}/{c.weight}", detail
        )
    return table


def coverage_table(rubric: Rubric, result: RunResult, lang: str) -> Table:
    """The course's acceptance ids, what each asks, and the status of the criteria grading it."""
    zh = lang == "zh-TW"
    status = {c.id: c.status for c in result.criteria()}
    table = Table(
        title="course coverage" if not zh else "課程驗收項目對照",
        title_justify="left", title_style="bold", expand=True,
    )  # fmt: skip
    table.add_column("id", no_wrap=True)
    table.add_column("acceptance line" if not zh else "驗收項目", ratio=2)
    table.add_column("graded by" if not zh else "評分準則", ratio=3)
    for cid, criteria in rubric.coverage().items():
        line = rubric.course.get(cid)
        text = (line.zh_tw if zh else line.en) if line else ""
        graded = ", ".join(
            f"{ICONS[status[c]].split(' ')[0]}[/] {c}" if c in status else f"[dim]{c}[/]"
            for c in criteria
        )
        table.add_row(cid, escape(text), graded or "[red]not graded[/]")
    return table
