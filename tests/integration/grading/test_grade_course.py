"""`lab grade --course`: the instructor's hidden mutants and catch-up packs, end to end.

- `tests4`: an M6 workspace whose tests catch the four public mutants but not the default
  course's hidden one: M6.mutants passes, M6.hidden_mutants fails as "caught 0 of 1 hidden
  mutants", and nothing the learner gets names the hidden mutant.
- `caught_up`: a learner started from a release who applied the catch-up pack of M1: M1 is
  given in grades.csv and the feedback, and not counted.

Lean: both rows grade files only (their service URLs answer nothing, so no lab starts), under a
small public rubric and a hidden one of one criterion each.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.authoring import catchup, release
from lab.exercises import build, course, mutants
from lab.settings import default_config_dir
from tests.support import free_port, lab_env
from tests.unit.acceptance.test_hidden_mutants import COUNTER_TEST
from tests.unit.acceptance.test_mutant_tests import LEAN_TESTS, put_tests

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

RUBRIC = """\
version: 1
title: course grading
title_zh_tw: 課程評分
badges: {colors: [{at_least: 0, color: "#e05d44"}]}
policy: {hidden_points: 2}
modules:
  - id: M1
    title: Environment
    title_zh_tw: 環境
    points: 2
    criteria:
      - {id: M1.layout, title: layout, title_zh_tw: 結構, weight: 2,
         check: {kind: project_layout}, hint: h, hint_zh_tw: h}
  - id: M6
    title: Tests
    title_zh_tw: 測試
    points: 4
    criteria:
      - {id: M6.mutants, title: catch, title_zh_tw: 抓, weight: 4,
         check: {kind: tests_catch_mutants}, hint: h, hint_zh_tw: h}
"""
HIDDEN = """\
version: 1
modules:
  - id: M6
    criteria:
      - {id: M6.hidden_mutants, title: hidden, title_zh_tw: 隱藏, weight: 2,
         check: {kind: tests_catch_hidden_mutants}, hint: h, hint_zh_tw: h}
"""


def test_hidden_mutants_and_a_catch_up_pack_in_lab_grade(tmp_path: Path) -> None:
    of = course.load()
    tests4 = build.create(tmp_path / "tests4", "M6", variant="solution", of=of).root
    shutil.rmtree(tests4 / "tests")
    put_tests(tests4, LEAN_TESTS + COUNTER_TEST)
    rel = release.build(of, tmp_path / "rel", default_config_dir())
    caught_up = build.create(tmp_path / "caught", "M1", of=course.load(rel), keep_course=True)
    catchup.apply_pack(catchup.build_pack(of, ["M1"], tmp_path / "pack"), caught_up.root)
    (tmp_path / "rubric.yml").write_text(RUBRIC, encoding="utf-8")
    (tmp_path / "hidden.yml").write_text(HIDDEN, encoding="utf-8")
    dead = f"http://127.0.0.1:{free_port()}"
    roster = tmp_path / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([
            ["id", "workspace", "api_url", "python"],
            ["tests4", str(tests4), dead, sys.executable],
            ["caught_up", str(caught_up.root), dead, sys.executable],
        ])  # fmt: skip
    env = lab_env(tmp_path / "home", COLUMNS=200, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "lab", "grade", str(roster), "--out", str(tmp_path / "grades"),
         "--rubric", str(tmp_path / "rubric.yml"), "--extra-rubric", str(tmp_path / "hidden.yml"),
         "--course", str(of.root), "--budget", "400"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=800,
    )  # fmt: skip
    print(f"lab grade: {time.monotonic() - started:.0f} s")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = tmp_path / "grades"
    with (out / "grades.csv").open(encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}

    feedback = (out / "feedback" / "tests4.json").read_text(encoding="utf-8")
    seen = {c["id"]: c for m in json.loads(feedback)["modules"] for c in m["criteria"]}
    assert seen["M6.mutants"]["status"] == "pass", seen["M6.mutants"]["observed"]
    assert seen["M6.hidden_mutants"]["status"] == "fail"
    assert seen["M6.hidden_mutants"]["observed"] == "caught 0 of 1 hidden mutants"
    page = (out / "feedback" / "tests4.html").read_text(encoding="utf-8")
    (hidden,) = mutants.hidden(of)
    for secret in (hidden.name, hidden.what, hidden.replace):
        assert secret not in feedback and secret not in page
    assert rows["tests4"]["M6"] == "4"  # the hidden criterion earned nothing

    assert rows["caught_up"]["M1"] == "given"
    learner = json.loads((out / "feedback" / "caught_up.json").read_text(encoding="utf-8"))
    assert learner["given"] == {"M1": "a catch-up pack applied its solution"}
    assert any(n.startswith("M1 given") for n in learner["notes"])
