"""lab/grading/assigned.py: modules given (solved by the course, or by a catch-up pack) are
shown as given and not counted; progress.json is shown, labelled self-reported."""

from __future__ import annotations

import json
from pathlib import Path

from lab.authoring import catchup, release
from lab.exercises import build, course, progress
from lab.grading import assigned
from lab.grading.grader import Attempt, Grade
from lab.grading.outputs import evidence, feedback, grade_row, redacted
from lab.grading.roster import Learner
from lab.grading.snapshot import Snapshot
from lab.settings import default_config_dir
from tests.unit.acceptance.test_formats import crit, make_result

COURSE = course.load()


def _result() -> dict:
    result = make_result(
        {
            "M1": [crit("M1.env", "pass")],
            "M2": [crit("M2.health", "pass")],
            "M4": [crit("M4.crm_record", "fail")],
            "M6": [crit("M6.hidden_mutants", "fail", observed="caught 0 of 1 hidden mutants")],
        },
        hidden={"points": 5, "ran": True, "criteria": ["M6.hidden_mutants"]},
    ).to_dict()
    result["modules"][3]["criteria"][0]["kind"] = "tests_catch_hidden_mutants"
    return result


def _grade(result: dict, project: Path) -> Grade:
    attempt = Attempt(Snapshot(project, None, None), result=result, exit_code=1)
    attempt.self_reported = assigned.self_reported(project)
    return Grade(Learner("ana", str(project)), "incomplete", [attempt], attempt, [])


def test_an_m4_workspace_has_m1_to_m3_given_and_they_are_not_counted(tmp_path: Path) -> None:
    ws = build.create(tmp_path / "ws", "M4", of=COURSE)
    given = assigned.given_modules(ws.root, COURSE)
    assert given == dict.fromkeys(("M1", "M2", "M3"), assigned.SOLVED)
    result = _result()
    marked = assigned.mark_given(result, given)
    assert marked["points"] == result["points"] - 10  # M1 and M2 earned 5 each
    assert marked["max_points"] == result["max_points"] - 10
    row = grade_row(_grade(marked, ws.root))
    assert (
        row["M1"] == row["M2"] == row["M3"] == "given" and row["total"] == f"{marked['points']:g}"
    )
    data = feedback(_grade(marked, ws.root))
    assert "M1 given (solved by the course): not counted in your points" in data["notes"]
    assert data["given"] == dict.fromkeys(("M1", "M2", "M3"), assigned.SOLVED)


def test_a_catch_up_pack_on_a_released_course_makes_m1_given(tmp_path: Path) -> None:
    rel = release.build(COURSE, tmp_path / "rel", default_config_dir())
    ws = build.create(tmp_path / "ws", "M1", of=course.load(rel), keep_course=True)
    assert assigned.given_modules(ws.root) == {}
    pack = catchup.build_pack(COURSE, ["M1"], tmp_path / "pack")
    catchup.apply_pack(pack, ws.root)
    given = assigned.given_modules(ws.root)
    assert given == {"M1": assigned.CAUGHT_UP}
    row = grade_row(_grade(assigned.mark_given(_result(), given), ws.root))
    assert row["M1"] == "given" and row["M2"] == "5"


def test_progress_json_is_in_the_evidence_labelled_self_reported(tmp_path: Path) -> None:
    progress.record_statuses(tmp_path, [("M2.health", "fail"), ("M2.health", "pass")])
    data = evidence(_grade(_result(), tmp_path))
    kept = data["attempts"][0]["self_reported"]
    assert kept["label"].startswith("self-reported")
    assert kept["progress"]["criteria"]["M2.health"]["attempts"] == 2
    assert kept["progress"]["criteria"]["M2.health"]["failures"] == 1
    assert "self_reported" not in json.dumps(feedback(_grade(_result(), tmp_path)))


def test_the_hidden_mutants_count_reaches_the_learner_other_hidden_checks_do_not() -> None:
    result = _result()
    result["modules"][1]["criteria"].append(
        {**result["modules"][0]["criteria"][0], "id": "M2.hidden_x", "observed": "CUST_SECRET"}
    )
    result["hidden"]["criteria"].append("M2.hidden_x")
    shown = {c["id"]: c["observed"] for m in redacted(result)["modules"] for c in m["criteria"]}
    assert shown["M6.hidden_mutants"] == "caught 0 of 1 hidden mutants"
    assert shown["M2.hidden_x"] == "(instructor's check: pass)"


def test_grades_csv_has_the_columns_of_the_courses_modules(tmp_path: Path) -> None:
    from lab.grading.outputs import write_grades

    result = make_result({f"W{i}": [crit(f"W{i}.x", "pass")] for i in range(1, 10)}).to_dict()
    nine = tuple(f"W{i}" for i in range(1, 10))
    path = write_grades(tmp_path / "grades.csv", [_grade(result, tmp_path)], nine)
    header, row = path.read_text(encoding="utf-8").splitlines()
    assert header == "id," + ",".join(nine) + ",total,graded_max,status"
    assert row == "ana," + ",".join(["5"] * 9) + f",45,{result['max_points']},incomplete"
