"""lab/exercises/progress.py, hints.py and badges.py: the learner's record and help."""

from __future__ import annotations

import json
from pathlib import Path

from lab.exercises import badges, build, progress


def test_attempts_first_pass_and_hints_are_recorded(tmp_path: Path) -> None:
    progress.record_statuses(tmp_path, [("M4.crm_record", "fail")])
    progress.record_statuses(tmp_path, [("M4.crm_record", "pass"), ("M4.flow_log", "fail")])
    progress.record_statuses(tmp_path, [("M4.crm_record", "fail")])
    assert progress.use_hint(tmp_path, "M4.crm_record", 3) == 1
    for _ in range(5):
        level = progress.use_hint(tmp_path, "M4.crm_record", 3)
    assert level == 3
    record = progress.read(tmp_path)["M4.crm_record"]
    assert record["attempts"] == 3
    assert record["first_pass"] is not None
    assert record["last_status"] == "fail"
    assert record["hints_used"] == 3
    assert progress.read(tmp_path)["M4.flow_log"]["first_pass"] is None


def test_a_module_is_done_when_its_criteria_pass_and_gets_a_badge(tmp_path: Path) -> None:
    progress.record_statuses(tmp_path, [("M1.env", "pass"), ("M1.deps", "pass")])
    done = progress.module_status(progress.read(tmp_path), "M1", ["M1.env", "M1.deps"])
    half = progress.module_status(progress.read(tmp_path), "M1", ["M1.env", "M1.train"])
    assert done.done and done.label == "done"
    assert not half.done and half.label == "1/2"
    svg = badges.write(tmp_path / "badges", done, "Environment")
    assert "done" in svg.read_text(encoding="utf-8")
    assert json.loads(svg.with_suffix(".json").read_text(encoding="utf-8"))["message"] == "done"


def test_lab_check_in_a_workspace_records_and_names_the_todos(tmp_path: Path) -> None:
    ws = build.create(tmp_path / "ws", "M4", settings={"API_PORT": 24992}, git=False)
    result = {"modules": [{"criteria": [{"id": "M4.crm_record", "status": "fail"}]}]}
    said = progress.after_check(ws.root / "app", json.dumps(result))
    assert said is not None
    assert "TODO M4.crm_record: app/crm.py:" in said
    assert progress.read(ws.root)["M4.crm_record"]["attempts"] == 1
    assert progress.after_check(tmp_path, json.dumps(result)) is None
