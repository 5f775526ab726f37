"""The `lab check` HTML report in headless Chromium: it renders, its badges load, its numbers
equal the results JSON written by the same run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lab.acceptance import load_rubric
from lab.services import PORT_KEYS
from tests.support import REPO, free_ports, lab_env

RUBRIC = load_rubric(REPO / "config" / "rubric.yml")
RUBRIC_WEIGHTS = {c.id: c.weight for m in RUBRIC.modules for c in m.criteria}
#: a primary criterion -> its fallback (`fallback_for`), graded in its place when it is skipped
FALLBACK_OF = {c.fallback_for: c.id for m in RUBRIC.modules for c in m.criteria if c.fallback_for}

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, dict]:
    """A real `lab check --no-tests` run over the shipped rubric: passes, fails, skips, errors."""
    home = tmp_path_factory.mktemp("check-home")
    project = tmp_path_factory.mktemp("project")
    (project / ".github/workflows").mkdir(parents=True)
    (project / ".github/workflows/ci.yml").write_text(
        "on: [push]\njobs:\n  test:\n    steps:\n      - run: tox -e unit\n"
    )
    (project / "config/container").mkdir(parents=True)
    (project / "config/container/Dockerfile").write_text("FROM python:3.11-slim\nUSER 10001\n")
    (project / "config/grafana/dashboards").mkdir(parents=True)
    (project / "config/grafana/dashboards/mlops-lab.json").write_text('{"uid": "x", "panels": []}')
    env = lab_env(home, **dict(zip(PORT_KEYS, free_ports(len(PORT_KEYS)), strict=True)))
    env["LAB_ENV_FILE"] = str(home / ".env")
    (home / ".env").write_text("CRM_TOKEN=aaaa1111\nADMIN_TOKEN=bbbb2222\n")
    json_path, html_path = home / "out" / "check.json", home / "out" / "check.html"
    done = subprocess.run(
        [sys.executable, "-m", "lab", "check", "--no-tests", "--project-dir", str(project),
         "--rubric", str(REPO / "config/rubric.yml"), "--json", str(json_path),
         "--html", str(html_path), "--badges", str(home / "out" / "badges")],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    data = json.loads(json_path.read_text(encoding="utf-8"))
    statuses = {c["status"] for m in data["modules"] for c in m["criteria"]}
    # error: this bare project has no interpreter of its own (no .venv) for M1.python
    assert statuses == {"pass", "fail", "skip", "error"}
    return html_path, data


def test_the_report_renders_with_every_module_and_criterion(page, report):
    html_path, data = report
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(html_path.as_uri())
    assert page.locator("h1").inner_text() == data["title"]
    assert page.locator("section.module").count() == len(data["modules"]) == 6
    assert page.locator("tr.criterion").count() == sum(len(m["criteria"]) for m in data["modules"])
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


def test_every_badge_loads(page, report):
    html_path, data = report
    page.goto(html_path.as_uri())
    badges = page.locator("img.badge")
    assert badges.count() == 1 + len(data["modules"])
    for i in range(badges.count()):
        loaded = badges.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
        assert loaded, badges.nth(i).get_attribute("id")
        assert badges.nth(i).bounding_box()["width"] > 50


def test_the_numbers_equal_the_json(page, report):
    html_path, data = report
    page.goto(html_path.as_uri())
    assert int(page.locator("#total-points").inner_text()) == data["points"]
    # criteria that apply to exercise workspaces only (M6.mutants) are left out of the maximum;
    # a skipped primary (M5.grafana) is left out too, but its fallback (M5.dashboard_seen) is
    # graded in its place for the same weight: that one costs the maximum nothing
    graded = {c["id"] for m in data["modules"] for c in m["criteria"]}
    left_out = sum(
        RUBRIC_WEIGHTS[c] for c in data["not_applicable"] if FALLBACK_OF.get(c) not in graded
    )
    assert left_out > 0  # this project is no workspace
    assert sum(RUBRIC_WEIGHTS[c] for c in graded) == data["max_points"]
    assert int(page.locator("#total-max").inner_text()) == data["max_points"]
    assert data["max_points"] == RUBRIC.points - left_out
    assert float(page.locator("#total-percent").inner_text()) == data["percent"]
    for status in ("pass", "fail", "skip", "error"):
        assert int(page.locator(f"#count-{status}").inner_text()) == data["counts"][status]
    for module in data["modules"]:
        section = page.locator(f'section[data-module="{module["id"]}"]')
        assert int(section.locator("h2 .points").inner_text()) == module["points"]
        assert int(section.locator("h2 .max").inner_text()) == module["max_points"]
        for c in module["criteria"]:
            row = section.locator(f'tr[data-criterion="{c["id"]}"]')
            assert row.get_attribute("data-status") == c["status"]
            assert int(row.locator(".points").inner_text()) == c["points"]
            assert int(row.locator(".weight").inner_text()) == c["weight"]
            assert row.locator(".observed").inner_text() == c["observed"]
            hint = row.locator(".hint")
            assert hint.count() == (1 if c["status"] == "fail" else 0)
            if c["status"] == "fail":
                assert c["hint"] in hint.inner_text()
                assert hint.locator("a").first.get_attribute("href").endswith(c["docs"])


def test_the_report_shows_a_failure_in_red_and_a_pass_in_green(page, report):
    html_path, _ = report
    page.goto(html_path.as_uri())
    colour = {s: page.locator(f'tr[data-status="{s}"] .status').first.evaluate(
        "e => getComputedStyle(e).color") for s in ("pass", "fail")}  # fmt: skip
    assert colour["pass"] == "rgb(26, 127, 55)" and colour["fail"] == "rgb(207, 34, 46)"
