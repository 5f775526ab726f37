"""Other shapes of a run's results for CI: JUnit XML and a GitHub job-summary Markdown table.

Both are rendered from a `RunResult` (what check.json holds), so they say what the table says.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from lab.acceptance.results import CriterionResult, RunResult

FORMATS = ("table", "junit", "github-summary")
ICON = {"pass": "✅", "fail": "❌", "skip": "⏭️", "error": "⚠️"}


def verdict(result: RunResult) -> str:
    """One line: did everything pass, and were the instructor's checks part of this run?"""
    hidden = result.hidden or {}
    points = int(hidden.get("points") or 0)
    not_run = points > 0 and not hidden.get("ran")
    counts = result.counts
    if result.passed and not not_run:
        head = "every criterion passes"
    elif not counts.get("fail") and not counts.get("error") and not counts.get("skip"):
        head = "every public criterion passes"
    else:
        head = "not every criterion passes yet"
    if not_run:
        return (
            f"{head}; the instructor's checks grade {points} more points and did not run here "
            "(they run when your work is graded)"
        )
    if hidden.get("ran"):
        return f"{head} (including the instructor's checks, {points} points)"
    return head


# --- JUnit XML ---------------------------------------------------------------------------------


def _counts(criteria: list[CriterionResult]) -> dict[str, str]:
    def n(status: str) -> str:
        return str(sum(1 for c in criteria if c.status == status))

    return {
        "tests": str(len(criteria)),
        "failures": n("fail"),
        "errors": n("error"),
        "skipped": n("skip"),
        "time": f"{sum(c.duration_seconds for c in criteria):.3f}",
    }


def _testcase(parent: ET.Element, module_id: str, c: CriterionResult) -> None:
    case = ET.SubElement(
        parent,
        "testcase",
        name=f"{c.id}: {c.title}",
        classname=f"lab_check.{module_id}",
        time=f"{c.duration_seconds:.3f}",
    )
    detail = f"{c.observed}\nhint: {c.hint}\ndocs: {c.docs}\npoints: {c.points}/{c.weight}"
    if c.status == "fail":
        ET.SubElement(case, "failure", message=c.observed, type="criterion_failed").text = detail
    elif c.status == "error":
        ET.SubElement(case, "error", message=c.observed, type="grading_error").text = detail
    elif c.status == "skip":
        ET.SubElement(case, "skipped", message=c.observed)
    else:
        ET.SubElement(case, "system-out").text = c.observed


def render_junit(result: RunResult) -> str:
    """JUnit XML (the common Jenkins/Ant schema): a testsuite per module, a testcase per criterion.

    fail -> <failure>, error -> <error>, skip -> <skipped>; the observation and the hint are the
    element's text, so any CI that reads JUnit shows them.
    """
    root = ET.Element("testsuites", {"name": result.title, **_counts(result.criteria())})
    for module in result.modules:
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": f"{module.id} {module.title}",
                "timestamp": result.started_at[:19],
                "hostname": "localhost",
                **_counts(module.criteria),
            },
        )
        props = ET.SubElement(suite, "properties")
        points = f"{module.points}/{module.max_points}"
        ET.SubElement(props, "property", name="points", value=points)
        ET.SubElement(props, "property", name="project", value=result.project_dir)
        for c in module.criteria:
            _testcase(suite, module.id, c)
        ET.SubElement(suite, "system-out").text = verdict(result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- GitHub job summary (Markdown) -------------------------------------------------------------


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    flat = " ".join(str(text).split())
    return flat.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def render_github_summary(result: RunResult) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY: the score, the module table, a row per criterion."""
    hidden = result.hidden or {}
    lines = [
        f"## {_cell(result.title)}: {result.points}/{result.max_points} ({result.percent:g}%)",
        "",
        f"{ICON['pass']} {result.counts.get('pass', 0)} passed · "
        f"{ICON['fail']} {result.counts.get('fail', 0)} failed · "
        f"{ICON['error']} {result.counts.get('error', 0)} errored · "
        f"{ICON['skip']} {result.counts.get('skip', 0)} skipped · "
        f"{result.duration_seconds:.1f} s — {verdict(result)}",
        "",
        "| Module | Points | Passed |",
        "| --- | ---: | ---: |",
    ]
    for m in result.modules:
        passed = sum(1 for c in m.criteria if c.status == "pass")
        lines.append(
            f"| {m.id} {_cell(m.title)} | {m.points}/{m.max_points} | {passed}/{len(m.criteria)} |"
        )
    if int(hidden.get("points") or 0) and not hidden.get("ran"):
        lines.append(f"| instructor's checks (not run here) | ?/{hidden['points']} | — |")
    lines += [
        "",
        "| | Criterion | Points | Observed | What to do |",
        "| --- | --- | ---: | --- | --- |",
    ]
    for c in result.criteria():
        link = result.docs_base + c.docs if result.docs_base.startswith("http") else c.docs
        todo = f"{_cell(c.hint)} ([guide]({link}))" if c.status != "pass" else ""
        lines.append(
            f"| {ICON.get(c.status, c.status)} | **{c.id}** {_cell(c.title)} | "
            f"{c.points}/{c.weight} | {_cell(c.observed)} | {todo} |"
        )
    lines += ["", f"<sub>project: `{_cell(result.project_dir)}`</sub>", ""]
    return "\n".join(lines)


def render(result: RunResult, fmt: str) -> str:
    """`result` in format `fmt` (junit or github-summary)."""
    if fmt == "junit":
        return render_junit(result)
    if fmt == "github-summary":
        return render_github_summary(result)
    raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
