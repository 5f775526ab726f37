"""`lab check --format junit|github-summary`: JUnit XML that validates against the common JUnit
schema, and job-summary Markdown whose table renders with each criterion's row."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema
from markdown_it import MarkdownIt

from lab.acceptance.formats import render, render_github_summary, render_junit, verdict
from lab.acceptance.results import CriterionResult, ModuleResult, RunResult

SCHEMA = Path(__file__).with_name("junit.xsd")


def crit(cid: str, status: str, weight: int = 5, observed: str = "seen") -> CriterionResult:
    return CriterionResult(
        id=cid, title=f"title of {cid}", title_zh_tw="標題", kind="k", weight=weight,
        status=status, points=weight if status == "pass" else 0, observed=observed,
        hint=f"hint for {cid}", hint_zh_tw=None, docs=f"docs/modules.md#{cid.lower()}",
        docs_zh_tw="docs/modules.zh-TW.md", duration_seconds=0.25, timeout_seconds=10,
    )  # fmt: skip


def make_result(criteria: dict[str, list[CriterionResult]], hidden: dict | None = None):
    modules = [
        ModuleResult(
            id=mid,
            title=f"Module {mid}",
            title_zh_tw="模組",
            points=sum(c.points for c in cs),
            max_points=sum(c.weight for c in cs),
            percent=0.0,
            color="#e05d44",
            docs="d",
            docs_zh_tw="d",
            criteria=cs,
        )
        for mid, cs in criteria.items()
    ]
    everything = [c for cs in criteria.values() for c in cs]
    counts = {s: sum(1 for c in everything if c.status == s) for s in ("pass", "fail", "skip")}
    counts["error"] = sum(1 for c in everything if c.status == "error")
    return RunResult(
        schema="s", title="mlops-lab acceptance", started_at="2026-12-02T11:00:00+00:00",
        finished_at="2026-12-02T11:00:05+00:00", duration_seconds=5.0,
        points=sum(m.points for m in modules), max_points=sum(m.max_points for m in modules),
        percent=50.0, color="#e05d44", badge_label="lab check",
        passed=counts["pass"] == len(everything), counts=counts, targets={},
        project_dir="/tmp/p", docs_base="file:///tmp/p/", versions={},
        rubric={"path": "config/rubric.yml", "sha256": "0" * 64, "version": "1"},
        modules=modules, hidden=hidden or {},
    )  # fmt: skip


@pytest.fixture
def mixed() -> RunResult:
    return make_result(
        {
            "M1": [crit("M1.env", "pass"), crit("M1.deps", "fail", observed="no <venv> & | pipe")],
            "M5": [
                crit("M5.grafana", "skip", observed="Grafana is not running"),
                crit("M5.rules", "error", observed="promtool is not installed"),
            ],
        }
    )


def test_junit_validates_and_maps_each_status(mixed):
    xml = render_junit(mixed)
    schema = xmlschema.XMLSchema(SCHEMA)
    schema.validate(xml)  # raises with the reason when it does not
    root = schema.to_dict(xml)
    assert (root["@tests"], root["@failures"], root["@errors"], root["@skipped"]) == (4, 1, 1, 1)
    cases = {c["@name"].split(":")[0]: c for s in root["testsuite"] for c in s["testcase"]}
    assert set(cases) == {"M1.env", "M1.deps", "M5.grafana", "M5.rules"}
    assert "failure" not in cases["M1.env"] and "skipped" not in cases["M1.env"]
    failure = cases["M1.deps"]["failure"][0]
    assert failure["@message"] == "no <venv> & | pipe" and "hint for M1.deps" in failure["$"]
    assert cases["M5.grafana"]["skipped"]["@message"] == "Grafana is not running"
    assert cases["M5.rules"]["error"][0]["@type"] == "grading_error"


def test_junit_rejected_by_the_schema_when_broken():
    """The schema really constrains: a testcase without a name does not validate."""
    bad = '<testsuites><testsuite name="x" tests="1"><testcase/></testsuite></testsuites>'
    assert not xmlschema.XMLSchema(SCHEMA).is_valid(bad)


def _tables(markdown: str) -> list[list[list[str]]]:
    """Every table the Markdown renders to, as rows of cell texts (header row first)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables, rows, row, cell = [], [], [], None
    for tok in tokens:
        if tok.type == "table_open":
            rows = []
        elif tok.type == "tr_open":
            row = []
        elif tok.type in ("th_open", "td_open"):
            cell = ""
        elif tok.type == "inline" and cell is not None:
            cell += "".join(child.content for child in tok.children or [] if child.content)
        elif tok.type in ("th_close", "td_close"):
            row.append(cell)
            cell = None
        elif tok.type == "tr_close":
            rows.append(row)
        elif tok.type == "table_close":
            tables.append(rows)
    return tables


def test_github_summary_renders_a_module_table_and_a_row_per_criterion(mixed):
    tables = _tables(render_github_summary(mixed))
    assert len(tables) == 2
    modules, criteria = tables
    assert modules[0] == ["Module", "Points", "Passed"]
    assert modules[1:] == [["M1 Module M1", "5/10", "1/2"], ["M5 Module M5", "0/10", "0/2"]]
    by_id = {row[1].split()[0]: row for row in criteria[1:]}
    assert set(by_id) == {"M1.env", "M1.deps", "M5.grafana", "M5.rules"}
    # a pipe in what was observed stays inside its cell; the hint shows for what did not pass
    assert by_id["M1.deps"][3] == "no <venv> & | pipe"
    assert by_id["M1.deps"][4].startswith("hint for M1.deps")
    assert by_id["M1.env"][4] == ""


def test_no_format_claims_all_passed_when_the_hidden_checks_did_not_run():
    result = make_result({"M1": [crit("M1.env", "pass")]}, hidden={"points": 10, "ran": False})
    result.passed = False  # as record_hidden leaves it
    line = verdict(result)
    assert line.startswith("every public criterion passes")
    assert "10 more points" in line and "every criterion passes" not in line
    summary = render(result, "github-summary")
    assert "instructor's checks (not run here)" in summary and "?/10" in summary
    assert "10 more points" in render(result, "junit")


def test_all_passed_is_said_when_everything_ran():
    result = make_result({"M1": [crit("M1.env", "pass")]}, hidden={"points": 5, "ran": True})
    assert verdict(result).startswith("every criterion passes (including the instructor's")
