"""Running a rubric (timeouts, crashes, skips, scoring) and what it writes: JSON, badges, HTML."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lab.acceptance import RunResult, Status, load_rubric, render_html, run_rubric, write_badges
from lab.acceptance.checks import CheckFailed, Params
from lab.acceptance.checks._base import CheckKinds, Lane, Schedule
from lab.acceptance.rubric import Criterion
from lab.acceptance.runner import Events, docs_base, run_criterion
from lab.settings import default_config_dir

REPO_CONFIG = default_config_dir()
RUBRIC = """\
version: 1
title: small rubric
title_zh_tw: 小評分表
badges:
  label: grade
  colors:
    - {at_least: 100, color: "#44cc11"}
    - {at_least: 50, color: "#dfb317"}
    - {at_least: 0, color: "#e05d44"}
modules:
  - id: M1
    title: Files
    title_zh_tw: 檔案
    points: 60
    criteria:
      - {id: M1.ci, title: CI runs tox, title_zh_tw: CI 執行 tox, weight: 30,
         check: {kind: ci_workflow}, hint: add a tox step, hint_zh_tw: 加上 tox 步驟}
      - {id: M1.container, title: non-root, title_zh_tw: 非 root, weight: 30,
         check: {kind: container_user}, hint: add USER}
  - id: M2
    title: Services
    title_zh_tw: 服務
    points: 40
    criteria:
      - {id: M2.grafana, title: Grafana dashboard, title_zh_tw: 儀表板, weight: 25,
         check: {kind: grafana_dashboard}, hint: start grafana}
      - {id: M2.tests, title: tests pass, title_zh_tw: 測試通過, weight: 15,
         check: {kind: test_suite}, hint: run the tests}
"""
WORKFLOW = "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: tox\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / ".github/workflows/ci.yml").write_text(WORKFLOW)
    (tmp_path / "config/grafana/dashboards").mkdir(parents=True)
    (tmp_path / "config/grafana/dashboards/mlops-lab.json").write_text('{"uid": "d", "panels": []}')
    (tmp_path / "rubric.yml").write_text(RUBRIC, encoding="utf-8")
    return tmp_path


@pytest.fixture
def result(project, make_ctx) -> RunResult:
    rubric = load_rubric(project / "rubric.yml")
    return run_rubric(rubric, make_ctx(run_tests=False))


def test_a_run_scores_passes_and_gives_nothing_for_fails_or_skips(result):
    statuses = {c.id: c.status for c in result.criteria()}
    assert statuses == {"M1.ci": "pass", "M1.container": "fail", "M2.grafana": "skip",
                        "M2.tests": "skip"}  # fmt: skip
    assert (result.points, result.max_points, result.percent) == (30, 100, 30.0)
    assert result.counts == {"pass": 1, "fail": 1, "skip": 2, "error": 0}
    assert result.passed is False
    m1, m2 = result.modules
    assert (m1.points, m1.max_points, m1.color) == (30, 60, "#dfb317")
    assert (m2.points, m2.max_points, m2.color) == (0, 40, "#e05d44")
    assert result.color == "#e05d44" and result.badge_label == "grade"
    failed = result.modules[0].criteria[1]
    assert failed.hint == "add USER" and failed.observed.startswith("no Dockerfile in")
    assert failed.docs == "docs/modules.md#m1-container"
    assert result.modules[1].criteria[0].observed.startswith("Grafana is not running")


def test_results_round_trip_through_json(result, tmp_path):
    path = result.write(tmp_path / "out" / "check.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["schema"] == "mlops-lab/check-results/1"
    assert set(data["versions"]) >= {"mlops_lab", "python", "platform"}
    assert data["rubric"]["sha256"] and data["targets"]["grafana_url"].startswith("http://")
    assert RunResult.read(path) == result


def test_only_the_selected_modules_run(project, make_ctx):
    seen: list[str] = []
    rubric = load_rubric(project / "rubric.yml")
    events = Events(criterion_started=lambda m, c: seen.append(c.id))
    only = run_rubric(rubric, make_ctx(run_tests=False), ["m1"], events)
    assert seen == ["M1.ci", "M1.container"]
    assert [m.id for m in only.modules] == ["M1"] and only.max_points == 60


def test_everything_passing_is_100_and_green(project, make_ctx):
    (project / "config/container").mkdir(parents=True)
    (project / "config/container/Dockerfile").write_text("FROM x\nUSER app\n")
    rubric = load_rubric(project / "rubric.yml")
    result = run_rubric(rubric, make_ctx(), ["M1"])
    assert result.passed and result.percent == 100.0 and result.color == "#44cc11"


# ---- timeouts and crashing checks -----------------------------------------------------------
def criterion(kind: str, timeout: float | None = None) -> Criterion:
    return Criterion(id="M1.x", title="x", title_zh_tw="x", weight=1, check={"kind": kind},
                     hint="h", timeout=timeout)  # fmt: skip


def test_a_check_that_hangs_errors_at_its_time_budget(make_ctx):
    registry, release = CheckKinds(), threading.Event()

    @registry.kind("hangs")
    def hangs(_params: Params, _ctx) -> str:
        release.wait(30)
        return "finished"

    try:
        outcome, _ = run_criterion(criterion("hangs", timeout=0.2), make_ctx(), registry)
    finally:
        release.set()
    assert outcome.status is Status.ERROR  # the grading environment, not the project
    assert outcome.observed.startswith("no result within its 0.2 s time budget: give it more")


def test_a_missing_tool_is_an_error_that_earns_nothing_and_exits_4(make_ctx, tmp_path):
    from lab.acceptance.checks import CheckError
    from lab.acceptance.rubric import Module
    from lab.acceptance.scoring import criterion_points

    registry = CheckKinds()

    @registry.kind("needs_tool")
    def needs_tool(_params: Params, _ctx) -> str:
        raise CheckError("promtool is not installed where the grader runs")

    outcome, _ = run_criterion(criterion("needs_tool"), make_ctx(), registry)
    assert outcome.status is Status.ERROR and "promtool" in outcome.observed
    assert criterion_points(5, outcome.status) == 0
    assert Module  # the exit code is graded end to end in tests/unit/cli


def test_a_crashing_check_fails_visibly_and_the_run_goes_on(make_ctx):
    registry = CheckKinds()

    @registry.kind("crashes")
    def crashes(_params: Params, _ctx) -> str:
        raise KeyError("model_version")

    @registry.kind("fails")
    def fails(_params: Params, _ctx) -> str:
        raise CheckFailed("saw HTTP 500")

    crashed, _ = run_criterion(criterion("crashes"), make_ctx(), registry)
    assert crashed.status is Status.FAIL and "crashed: KeyError" in crashed.observed
    failed, _ = run_criterion(criterion("fails"), make_ctx(), registry)
    assert (failed.status, failed.observed) == (Status.FAIL, "saw HTTP 500")
    unknown, _ = run_criterion(criterion("nope"), make_ctx(), registry)
    assert unknown.status is Status.FAIL and "unknown check kind" in unknown.observed


def test_each_check_gets_its_own_timeout(make_ctx):
    registry, seen = CheckKinds(), []

    @registry.kind("records")
    def records(_params: Params, ctx) -> str:
        seen.append(ctx.timeout)
        return "ok"

    ctx = make_ctx()
    run_criterion(criterion("records", timeout=7), ctx, registry)
    run_criterion(criterion("records"), ctx, registry)
    assert seen == [7, Params.schedule.timeout] and ctx.timeout == 5.0


# ---- scheduling: slow isolated checks do not hold up the live ones --------------------------
def test_live_checks_run_without_waiting_for_a_slow_isolated_one(project, make_ctx):
    """A slow isolated check (the project's interpreter) runs beside the live ones; a live one
    after an early `concurrent` check waits for it; results and events keep rubric order."""
    from lab.acceptance.rubric import Module

    registry, order = CheckKinds(), []
    slow_started, live_ran = threading.Event(), threading.Event()

    class Isolated(Params):
        schedule = Schedule(Lane.ISOLATED)

    class Concurrent(Params):
        schedule = Schedule(Lane.CONCURRENT)

    @registry.kind("slow_isolated", Isolated)
    def slow_isolated(_params: Params, _ctx) -> str:
        slow_started.set()
        assert live_ran.wait(10), "the live check waited for the isolated one"
        order.append("isolated")
        return "slow"

    @registry.kind("reads", Concurrent)
    def reads(_params: Params, _ctx) -> str:
        order.append("concurrent")
        return "read"

    @registry.kind("live")
    def live(_params: Params, _ctx) -> str:
        assert slow_started.wait(10)
        order.append("live")
        live_ran.set()
        return "live"

    def crit(cid: str, kind: str) -> Criterion:
        return Criterion(id=cid, title=cid, title_zh_tw=cid, weight=1, check={"kind": kind},
                         hint="h")  # fmt: skip

    rubric = load_rubric(project / "rubric.yml").model_copy(update={"modules": [
        Module(id="M1", title="a", title_zh_tw="a", points=1,
               criteria=[crit("M1.slow", "slow_isolated")]),
        Module(id="M2", title="b", title_zh_tw="b", points=2,
               criteria=[crit("M2.reads", "reads"), crit("M2.live", "live")]),
    ]})  # fmt: skip
    seen: list[str] = []
    events = Events(criterion_done=lambda m, r: seen.append(r.id))
    result = run_rubric(rubric, make_ctx(), events=events, kinds=registry)
    assert [c.status for c in result.criteria()] == ["pass"] * 3
    assert order.index("concurrent") < order.index("live") < order.index("isolated")
    assert [c.id for c in result.criteria()] == ["M1.slow", "M2.reads", "M2.live"]
    assert sorted(seen) == ["M1.slow", "M2.live", "M2.reads"]


# ---- badges ---------------------------------------------------------------------------------
def test_badges_are_svg_with_shields_endpoint_json_beside_them(result, tmp_path):
    written = write_badges(result, tmp_path / "badges")
    names = sorted(p.name for p in written)
    assert names == ["M1.json", "M1.svg", "M2.json", "M2.svg", "total.json", "total.svg"]
    total_svg = ET.parse(tmp_path / "badges/total.svg").getroot()
    assert total_svg.tag.endswith("svg")
    texts = {t.text for t in total_svg.iter() if t.tag.endswith("text")}
    assert {"grade", "30/100"} <= texts
    endpoint = json.loads((tmp_path / "badges/M1.json").read_text())
    assert endpoint == {"schemaVersion": 1, "label": "M1 files", "message": "30/60",
                        "color": "dfb317"}  # fmt: skip
    assert "#DFB317" in (tmp_path / "badges/M1.svg").read_text().upper()


# ---- HTML report ----------------------------------------------------------------------------
class _Sources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.sources += [v for k, v in attrs if k in ("src", "srcset") and v]
        if tag == "link":
            self.sources.append(dict(attrs).get("href", ""))


def test_the_report_is_self_contained_and_escapes_what_it_shows(result):
    result.modules[0].criteria[1].observed = "<script>alert(1)</script>"
    html = render_html(result)
    parser = _Sources()
    parser.feed(html)
    assert parser.sources and all(
        s.startswith("data:image/svg+xml;base64,") for s in parser.sources
    )
    assert "script" not in parser.tags and "link" not in parser.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'id="total-points">30<' in html and "add USER" in html and "加上 tox 步驟" not in html


def test_guide_links_point_at_the_project_else_at_the_labs_own_guides(tmp_path: Path) -> None:
    rubric = load_rubric(REPO_CONFIG / "rubric.yml")
    with_guide, without = tmp_path / "with", tmp_path / "without"
    (with_guide / "docs").mkdir(parents=True)
    (with_guide / "docs" / "modules.md").write_text("# guide\n", encoding="utf-8")
    without.mkdir()
    assert docs_base(rubric, with_guide) == with_guide.resolve().as_uri() + "/"
    assert docs_base(rubric, without) == REPO_CONFIG.parent.as_uri() + "/"  # this checkout's
    online = rubric.model_copy(
        update={"docs": rubric.docs.model_copy(update={"base_url": "https://x.test/"})}
    )
    assert docs_base(online, without) == "https://x.test/"
