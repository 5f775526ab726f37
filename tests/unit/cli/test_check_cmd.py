"""`lab check`: options, exit codes, outputs, and errors that name the file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lab.cli import main
from lab.settings import default_config_dir
from tests.support import free_port

RUBRIC = """\
version: 1
title: cli rubric
title_zh_tw: 命令列評分表
badges:
  colors: [{at_least: 0, color: "#e05d44"}, {at_least: 100, color: "#44cc11"}]
modules:
  - id: M1
    title: Project
    title_zh_tw: 專案
    points: 60
    criteria:
      - {id: M1.ci, title: CI runs tox, title_zh_tw: CI 執行 tox, weight: 30,
         check: {kind: ci_workflow}, hint: add a tox step, hint_zh_tw: 加上 tox 步驟}
      - {id: M1.container, title: non-root, title_zh_tw: 非 root 使用者, weight: 30,
         check: {kind: container_user}, hint: end the Dockerfile with USER}
  - id: M2
    title: Dashboards
    title_zh_tw: 儀表板
    points: 40
    criteria:
      - {id: M2.grafana, title: Grafana, title_zh_tw: Grafana, weight: 40,
         check: {kind: grafana_dashboard}, hint: start grafana}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings) -> Path:
    """A project folder with a passing CI workflow and no Dockerfile; LAB_HOME in tmp."""
    root = tmp_path / "project"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/ci.yml").write_text(
        "on: push\njobs:\n  t:\n    steps:\n      - run: tox\n"
    )
    (root / "config/grafana/dashboards").mkdir(parents=True)
    (root / "config/grafana/dashboards/mlops-lab.json").write_text('{"uid": "d", "panels": []}')
    (root / "rubric.yml").write_text(RUBRIC, encoding="utf-8")
    monkeypatch.setenv("LAB_HOME", str(settings.LAB_HOME))
    monkeypatch.setenv("GRAFANA_PORT", str(free_port()))
    monkeypatch.setenv("LANG", "C.UTF-8")
    return root


class Ran:
    """A CliRunner result whose `text` is the output with rich's line wrapping undone."""

    def __init__(self, result):
        self.exit_code, self.output, self.stdout = result.exit_code, result.output, result.stdout
        self.text = " ".join(result.output.split())


def lab_check(project: Path, *args: str) -> Ran:
    base = ["check", "--rubric", str(project / "rubric.yml"), "--project-dir", str(project)]
    return Ran(CliRunner().invoke(main, [*base, *args]))


def add_dockerfile(project: Path) -> None:
    (project / "config/container").mkdir(parents=True)
    (project / "config/container/Dockerfile").write_text("FROM python:3.11-slim\nUSER lab\n")


def test_a_failing_criterion_exits_1_with_its_hint_and_writes_every_output(project, settings):
    result = lab_check(project)
    assert result.exit_code == 1, result.output
    assert "M1.container" in result.text and "end the Dockerfile with USER" in result.text
    assert "docs/modules.md#m1-container" in result.text
    assert f"guides: {default_config_dir().parent.as_uri()}/" in result.text  # not in project/
    assert "total 30/100" in result.text
    reports = settings.LAB_HOME / "reports"
    data = json.loads((reports / "check.json").read_text())
    assert data["points"] == 30
    assert data["counts"] == {"pass": 1, "fail": 1, "skip": 1, "error": 0}
    assert sorted(p.name for p in (reports / "badges").iterdir()) == [
        "M1.json", "M1.svg", "M2.json", "M2.svg", "total.json", "total.svg",
    ]  # fmt: skip
    assert (reports / "check.html").read_text().startswith("<!doctype html>")


def test_only_skips_exit_3_and_everything_passing_exits_0(project):
    add_dockerfile(project)
    skipped = lab_check(project)
    assert skipped.exit_code == 3, skipped.output
    assert "Grafana is not running" in skipped.text and "total 60/100" in skipped.text
    passed = lab_check(project, "--module", "M1", "-m", "m1")  # any case, graded once
    assert passed.exit_code == 0, passed.output
    assert "total 60/60 (100%)" in passed.text and passed.text.count("M1.container") == 1


def test_outputs_go_where_asked_and_json_dash_prints_to_stdout(project, tmp_path):
    out = tmp_path / "out"
    result = lab_check(
        project, "-m", "M1", "--json", str(out / "r.json"), "--badges", str(out / "b"),
        "--html", str(out / "r.html"),
    )  # fmt: skip
    assert result.exit_code == 1
    assert (out / "r.json").is_file() and (out / "b/total.svg").is_file()
    assert (out / "r.html").is_file()
    piped = CliRunner().invoke(
        main,
        ["check", "--rubric", str(project / "rubric.yml"), "--project-dir", str(project),
         "-m", "M1", "--json", "-", "--badges", str(out / "b2"), "--html", str(out / "r2.html")],
    )  # fmt: skip
    data = json.loads(piped.stdout)
    assert data["max_points"] == 60 and [m["id"] for m in data["modules"]] == ["M1"]


def test_the_table_speaks_traditional_chinese_when_asked(project):
    result = lab_check(project, "-m", "M1", "--lang", "zh-TW")
    assert "M1 專案 — 30/60" in result.text
    assert "非" in result.text and "使用者" in result.text and "non-root" not in result.text
    assert "report: " + str(project.parent / "lab-home/reports/check.html") in result.text


def test_a_broken_rubric_exits_2_naming_file_line_and_module(project):
    text = (project / "rubric.yml").read_text().replace("weight: 40", "weight: 35")
    (project / "rubric.yml").write_text(text)
    result = lab_check(project)
    assert result.exit_code == 2
    assert "rubric error:" in result.output and "rubric.yml line 19: module M2:" in result.output
    assert "add up to 35 (M2.grafana 35) but the module is worth 40 points" in result.text
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--module", "M9"], "no module 'M9' (known: M1, M2)"),
        (["--api-url", "localhost:8000"], "is not an http(s) URL"),
        (["--grafana-url", "ftp://x"], "is not an http(s) URL"),
    ],
)
def test_bad_options_are_usage_errors(project, args, complaint):
    result = lab_check(project, *args)
    assert result.exit_code == 2 and complaint in result.text


def test_list_kinds(project):
    result = CliRunner().invoke(main, ["check", "--list-kinds"])
    assert result.exit_code == 0
    for kind in ("api_health", "grafana_dashboard", "test_suite", "mlflow_alias"):
        assert kind in result.output


def test_a_criterion_for_workspaces_only_is_named_and_not_counted_elsewhere(project):
    add_dockerfile(project)
    text = (project / "rubric.yml").read_text(encoding="utf-8")
    mutants = (
        "      - {id: M1.mutants, title: tests catch, title_zh_tw: 測試抓到, weight: 10,\n"
        "         check: {kind: tests_catch_mutants}, hint: assert behaviour}\n"
    )
    text = text.replace("points: 60", "points: 70").replace("points: 40", "points: 30")
    text = text.replace("weight: 40,", "weight: 30,").replace(
        "  - id: M2\n", mutants + "  - id: M2\n"
    )
    (project / "rubric.yml").write_text(text, encoding="utf-8")
    ran = lab_check(project, "-m", "M1")  # a project, not a workspace: it cannot apply
    assert ran.exit_code == 0, ran.output  # nothing left out is a skip or a fail
    assert "total 60/60 (100%)" in ran.text
    assert "M1.mutants not graded here, nor counted: the broken variants" in ran.text


def test_the_course_coverage_table_shows_only_when_asked(project):
    """A long table pushed the summary off screen on every run: it takes --coverage now."""
    plain = lab_check(project)
    assert "course coverage" not in plain.text and "total" in plain.text
    asked = lab_check(project, "--coverage")
    assert "course coverage" in asked.text
