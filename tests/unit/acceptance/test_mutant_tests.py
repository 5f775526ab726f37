"""M6.mutants (kind tests_catch_mutants): a workspace's tests run for real beside the exercise's
correct app and each of the lab's real mutants of it. The learner's tests here are lean (no
model, no sklearn) so each of the five pytest runs starts in a few seconds; the shipped
solution's tests catching every mutant is `lab exercise verify M6` (tests/integration)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from lab import workspace
from lab.acceptance import load_rubric, run_rubric
from lab.acceptance.checks import CheckFailed, CheckSkipped
from lab.acceptance.checks.mutant_tests import MutantParams, catches_mutants
from lab.exercises import mutants

#: A learner's tests that catch every mutant but counter_stuck (nothing reads the counter).
LEAN_TESTS = """
import asyncio
from pathlib import Path

import httpx
from litestar.testing import TestClient

from app.config import Config
from app.crm import CrmClient, load_rules, segment_for
from app.main import create_app

SEGMENTS = Path(__file__).resolve().parent.parent / "config" / "segments.yml"


def test_a_short_row_gets_a_4xx(tmp_path):
    app = create_app(Config(tmp_path, "http://crm.test", "token", SEGMENTS))
    with TestClient(app) as client:
        assert 400 <= client.post("/predict", json={"features": [1, 2]}).status_code < 500


def test_a_high_probability_is_high_risk():
    assert segment_for(0.95, load_rules(SEGMENTS)) == "high_risk"


def test_the_segment_is_put_to_the_crm():
    sent = []

    def crm(request):
        sent.append(request.method)
        return httpx.Response(200, json={"segment": "high_risk", "old_segment": None})

    async def write():
        client = CrmClient("http://crm.test", "token", httpx.MockTransport(crm))
        try:
            await client.write_segment("C1", "high_risk", 0.9, "v1", "r1")
        finally:
            await client.close()

    asyncio.run(write())
    assert sent == ["PUT"]
"""

RUBRIC = """\
version: 1
title: mutants
title_zh_tw: 突變
badges: {colors: [{at_least: 0, color: "#e05d44"}]}
modules:
  - id: M6
    title: Tests
    title_zh_tw: 測試
    points: 100
    criteria:
      - {id: M6.ci, title: CI, title_zh_tw: CI, weight: 96, check: {kind: ci_workflow}, hint: h}
      - {id: M6.mutants, title: catch, title_zh_tw: 抓, weight: 4,
         check: {kind: tests_catch_mutants}, hint: h}
"""


def put_tests(root: Path, text: str) -> None:
    (root / "tests").mkdir(parents=True, exist_ok=True)
    (root / "tests" / "test_mine.py").write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def ws(tmp_path: Path, monkeypatch) -> workspace.Workspace:
    # the runs inherit the environment: without this venv's plugins (hypothesis, schemathesis...)
    # each pytest starts seconds sooner; the learner's tests here need none
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return workspace.Workspace(root=tmp_path, modules=("M6",))


def test_tests_that_miss_a_mutant_fail_naming_it_and_what_they_lack(make_ctx, tmp_path, ws):
    put_tests(tmp_path, LEAN_TESTS)
    ctx = make_ctx(workspace=ws, python=Path(sys.executable), timeout=240)
    with pytest.raises(CheckFailed) as failed:
        catches_mutants(MutantParams(workers=2), ctx)
    message = str(failed.value)
    assert message.startswith("missed 1 of 4 broken variants: counter_stuck (")
    assert "caught wrong_status, crm_not_written, wrong_segment" in message
    counter = next(m for m in mutants.MUTANTS if m.name == "counter_stuck")
    assert failed.value.hint and counter.missing in failed.value.hint
    assert failed.value.hint_zh_tw and counter.missing_zh_tw in failed.value.hint_zh_tw


def test_tests_that_fail_on_the_correct_app_catch_nothing(make_ctx, tmp_path, ws):
    put_tests(tmp_path, "def test_always_fails():\n    assert False\n")
    ctx = make_ctx(workspace=ws, python=Path(sys.executable), timeout=120)
    with pytest.raises(CheckFailed, match=r"fail on the correct app .* catch nothing") as failed:
        catches_mutants(MutantParams(), ctx)
    assert failed.value.hint and "M6.tests" in failed.value.hint


def test_no_tests_folder_fails_and_no_tests_skips(make_ctx, ws):
    ctx = make_ctx(workspace=ws, python=Path(sys.executable))
    with pytest.raises(CheckFailed, match="no tests/ folder"):
        catches_mutants(MutantParams(), ctx)
    with pytest.raises(CheckSkipped, match="--no-tests"):
        catches_mutants(MutantParams(), make_ctx(workspace=ws, run_tests=False))


def test_outside_a_workspace_it_is_left_out_of_the_run_and_of_the_maximum(make_ctx, tmp_path):
    (tmp_path / "rubric.yml").write_text(RUBRIC, encoding="utf-8")
    rubric = load_rubric(tmp_path / "rubric.yml")
    result = run_rubric(rubric, make_ctx())  # the lab's checkout or any project: no workspace
    assert [c.id for c in result.criteria()] == ["M6.ci"]
    assert result.max_points == result.modules[0].max_points == 96
    assert "workspaces only" in result.not_applicable["M6.mutants"]
    # in a workspace it is graded, and counts: here skipped (--no-tests), so it earns nothing
    ws = workspace.Workspace(root=tmp_path, modules=("M6",))
    graded = run_rubric(rubric, make_ctx(workspace=ws, run_tests=False))
    assert {c.id: c.status for c in graded.criteria()}["M6.mutants"] == "skip"
    assert graded.max_points == 100 and graded.not_applicable == {}


def test_a_run_out_of_time_is_not_counted_as_caught(monkeypatch, tmp_path):
    put_tests(tmp_path, "import time\n\ndef test_slow():\n    time.sleep(60)\n")
    monkeypatch.setattr(mutants, "MUTANTS", mutants.MUTANTS[:1])
    [result] = mutants.run(tmp_path, sys.executable, timeout=1)
    assert result.timed_out and not result.caught
