"""grades.csv, feedback (hidden observations left out), evidence, --regrade's changes, and a
roster run that goes on past a learner whose grading breaks."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

from lab.acceptance.policy import Policy
from lab.grading import session
from lab.grading.grader import Attempt, Grade, Options
from lab.grading.outputs import changes, feedback, read_grades, write_grades, write_learner
from lab.grading.roster import Learner
from lab.grading.snapshot import Snapshot
from lab.grading.workflow import WORKFLOW_PATH, workflow_text, write_workflow
from tests.support import require_tool
from tests.unit.acceptance.test_formats import crit, make_result


def result_dict(hidden_status: str = "pass") -> dict:
    result = make_result(
        {
            "M1": [crit("M1.env", "pass")],
            "M4": [
                crit("M4.crm_record", "fail", observed="segment 'x' != 'y'"),
                crit("M4.hidden_other", hidden_status, observed="CUST_SECRET_9 -> vip"),
            ],
        },
        hidden={"points": 5, "ran": True, "criteria": ["M4.hidden_other"]},
    )
    return result.to_dict()


def grade(learner_id: str = "ana", late: bool = False, status: str = "incomplete") -> Grade:
    snap = Snapshot(Path("/tmp/x"), "abc123def456", None, 2 if late else 0, 20.0 if late else 0)
    attempt = Attempt(snap, result=result_dict(), exit_code=1)
    return Grade(Learner(learner_id, "/tmp/ws"), status, [attempt], attempt, [])


def test_grades_csv_has_a_column_per_module_and_the_penalised_total(tmp_path):
    path = write_grades(tmp_path / "grades.csv", [grade("ana"), grade("ben", late=True)])
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["id", "M1", "M2", "M3", "M4", "M5", "M6", "total", "graded_max",
                             "status"]  # fmt: skip
    assert rows[0] == {"id": "ana", "M1": "5", "M2": "0", "M3": "0", "M4": "5", "M5": "0",
                       "M6": "0", "total": "10", "graded_max": "15",
                       "status": "incomplete"}  # fmt: skip
    assert path.stat().st_mode & 0o777 == 0o600 and tmp_path.stat().st_mode & 0o777 == 0o700
    assert rows[1]["total"] == "8"  # 10 points, 20 % off


def test_feedback_hides_what_the_instructors_checks_saw(tmp_path):
    g = grade()
    data = feedback(g)
    hidden = next(c for m in data["modules"] for c in m["criteria"] if c["id"] == "M4.hidden_other")
    assert "CUST_SECRET_9" not in json.dumps(data)
    assert hidden["observed"] == "(instructor's check: pass)" and hidden["hint"]
    public = next(c for m in data["modules"] for c in m["criteria"] if c["id"] == "M4.crm_record")
    assert public["observed"] == "segment 'x' != 'y'" and public["hint"] == "hint for M4.crm_record"
    write_learner(tmp_path, g)
    page = (tmp_path / "feedback" / "ana.html").read_text(encoding="utf-8")
    assert "CUST_SECRET_9" not in page and "ana: 10 points · incomplete" in page
    evidence = json.loads((tmp_path / "evidence" / "ana.json").read_text(encoding="utf-8"))
    assert "CUST_SECRET_9" in json.dumps(evidence)  # the instructor sees everything
    assert evidence["attempts"][0]["commit"] == "abc123def456"


def test_a_late_grade_states_its_penalty():
    notes = feedback(grade(late=True))["notes"]
    assert any("late: 2 day(s), -20% → 8 of 10 points" in n for n in notes)


def test_regrade_says_what_changed(tmp_path):
    before = tmp_path / "before.csv"
    before.write_text(
        "id,M1,M2,M3,M4,M5,M6,total,status\n"
        "ana,5,0,0,0,0,0,5.0,incomplete\nben,5,0,0,5,0,0,10,incomplete\nzoe,1,0,0,0,0,0,1,error\n",
        encoding="utf-8",
    )
    lines = changes(read_grades(before), [grade("ana"), grade("ben"), grade("cai")])
    assert lines == [
        "ana: M4 0 → 5, total 5.0 → 10",
        "cai: new, total 10 (incomplete)",
        "zoe: not in this roster (was total 1)",
    ]


def test_a_learner_whose_grading_breaks_gets_an_error_and_the_run_goes_on(tmp_path, monkeypatch):
    def fake(learner, opts, work, report, children):
        if learner.id == "bad":
            raise RuntimeError("boom")
        return grade(learner.id)

    monkeypatch.setattr(session, "grade_learner", fake)
    learners = [Learner("bad", "/x"), Learner("ana", "/y")]
    opts = Options(rubric=Path("r.yml"), extra_rubric=None, policy=Policy(), budget=10)
    grades = session.grade_roster(learners, opts, tmp_path, 2, session.Callbacks())
    assert [(g.learner.id, g.status) for g in grades] == [("bad", "error"), ("ana", "incomplete")]
    rows = (tmp_path / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert rows[1] == "bad,0,0,0,0,0,0,0,0,error"
    assert (tmp_path / "report.html").is_file() and (tmp_path / "lms.csv").is_file()
    bad = json.loads((tmp_path / "feedback" / "bad.json").read_text(encoding="utf-8"))
    assert "the grader failed: RuntimeError: boom" in bad["problem"]


def test_the_workflow_runs_lab_check_into_the_job_summary_and_keeps_check_json(tmp_path):
    flow = yaml.safe_load(workflow_text("mlops-lab==9.9"))
    steps = flow["jobs"]["check"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert 'pip install "mlops-lab==9.9"' in runs
    assert "lab check --format github-summary" in runs and '>> "$GITHUB_STEP_SUMMARY"' in runs
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert "check.json" in upload["with"]["path"] and upload["if"] == "always()"
    assert {"push", "pull_request"} <= set(flow[True])  # YAML 1.1 reads the `on:` key as True


def test_write_workflow_commits_it_in_a_git_workspace(tmp_path):
    git = require_tool("git")
    import subprocess

    subprocess.run([git, "init", "-q"], cwd=tmp_path, check=True)
    path = write_workflow(tmp_path)
    assert path == tmp_path / WORKFLOW_PATH and path.is_file()
    log = subprocess.run([git, "log", "--oneline", "--", WORKFLOW_PATH.as_posix()], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "Add the lab check workflow" in log
    path.write_text("mine\n", encoding="utf-8")
    write_workflow(tmp_path)  # the learner's own version is kept
    assert path.read_text(encoding="utf-8") == "mine\n"
