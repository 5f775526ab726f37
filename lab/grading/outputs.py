"""What `lab grade` writes: grades.csv, feedback/<id>.html + .json, evidence/<id>.json.

feedback is for the learner: the scorecard with hints; what the instructor's hidden criteria saw
is left out (only their title, status, points and hint), so their inputs stay hidden.
evidence is for the instructor: every attempt's full check.json, the commit graded, logs' ends.
Every folder is made private (mode 0700) and every file is written 0600: evidence holds what
the hidden checks saw, grades.csv every learner's marks.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lab.acceptance.report import render_html
from lab.acceptance.results import RunResult
from lab.files import write_atomic
from lab.grading.results import Attempt, Grade

MODULES = ("M1", "M2", "M3", "M4", "M5", "M6")  # the lab's course; a rubric names its own
#: graded_max: the points of what the row could be graded on (its total is out of these)
COLUMNS = ("id", *MODULES, "total", "graded_max", "status")
FILE_MODE = 0o600
FOLDER_MODE = 0o700


def columns(modules: Sequence[str] = MODULES) -> tuple[str, ...]:
    return ("id", *modules, "total", "graded_max", "status")


def private_folder(path: Path) -> Path:
    """`path` (and its missing parents) made, with mode 0700 whatever the umask."""
    path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    if os.name == "posix":
        path.chmod(FOLDER_MODE)
    return path


def write_private(path: Path, data: str | bytes) -> Path:
    """`data` written atomically to `path` with mode 0600, in a 0700 folder."""
    private_folder(path.parent)
    write_atomic(path, data, mode=FILE_MODE)
    return path


GIVEN = "given"  # a module column of a module the learner did not write (not counted)


def grade_row(grade: Grade, modules: Sequence[str] = MODULES) -> dict[str, str]:
    points = grade.module_points()
    result = grade.chosen.result if grade.chosen else None
    given = (result or {}).get("given") or {}
    row = {"id": grade.learner.id, "total": f"{grade.total:g}", "status": grade.status,
           "graded_max": str(grade.graded_max)}  # fmt: skip
    row.update({m: GIVEN if m in given else str(points.get(m, 0)) for m in modules})
    return row


def grades_csv(rows: Sequence[dict[str, str]], modules: Sequence[str] = MODULES) -> str:
    """grades.csv: a column per module of the rubric (`modules`), then total, graded_max and
    status."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(modules), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in columns(modules)})
    return buffer.getvalue()


def write_grades(path: Path, grades: Sequence[Grade], modules: Sequence[str] = MODULES) -> Path:
    return write_private(path, grades_csv([grade_row(g, modules) for g in grades], modules))


def read_grades(path: Path) -> dict[str, dict[str, str]]:
    """A previous grades.csv, by learner id."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {row["id"]: row for row in csv.DictReader(f) if row.get("id")}


def changes(
    previous: dict[str, dict[str, str]], grades: Sequence[Grade], modules: Sequence[str] = MODULES
) -> list[str]:
    """One line per learner whose row changed (or who is new or gone), saying what changed."""
    lines: list[str] = []
    now = {g.learner.id: grade_row(g, modules) for g in grades}
    for learner_id, row in now.items():
        before = previous.get(learner_id)
        if before is None:
            lines.append(f"{learner_id}: new, total {row['total']} ({row['status']})")
            continue
        diffs = [
            f"{col} {before.get(col, '')} → {row[col]}"
            for col in (*modules, "total", "status")
            if _norm(before.get(col, "")) != _norm(row[col])
        ]
        if diffs:
            lines.append(f"{learner_id}: " + ", ".join(diffs))
    lines += [f"{i}: not in this roster (was total {r.get('total')})" for i, r in previous.items()
              if i not in now]  # fmt: skip
    return lines


def _norm(value: str) -> str:
    try:
        return f"{float(value):g}"
    except ValueError:
        return value.strip()


# --- feedback (the learner's) and evidence (the instructor's) ----------------------------------


def _hidden_ids(result: dict[str, Any]) -> set[str]:
    return set((result.get("hidden") or {}).get("criteria") or [])


#: hidden check kinds whose observation names nothing hidden ("caught 1 of 2 hidden mutants")
SAYS_NOTHING_HIDDEN = frozenset({"tests_catch_hidden_mutants"})


def redacted(result: dict[str, Any]) -> dict[str, Any]:
    """check.json without what the hidden criteria observed (their inputs would show)."""
    hidden = _hidden_ids(result)
    copy = json.loads(json.dumps(result))
    for module in copy["modules"]:
        for c in module["criteria"]:
            if c["id"] in hidden and c.get("kind") not in SAYS_NOTHING_HIDDEN:
                c["observed"] = f"(instructor's check: {c['status']})"
    copy["targets"] = {}
    copy.pop("graded_max", None)  # the grader's own key (lab.grading.checkrun.honest)
    return copy


def feedback(grade: Grade) -> dict[str, Any]:
    chosen = grade.chosen
    result = redacted(chosen.result) if chosen and chosen.result else None
    return {
        "id": grade.learner.id,
        "status": grade.status,
        "total": grade.total,
        "points_before_penalty": result["points"] if result else 0,
        "max_points": result["max_points"] if result else None,
        "graded_max": grade.graded_max if result else None,
        "late_penalty_percent": chosen.penalty if chosen else 0,
        "graded": _graded_what(chosen) if chosen else None,
        "notes": _notes(grade),
        "problem": None if chosen else _problem(grade),
        "hidden": result.get("hidden") if result else None,
        "given": result.get("given", {}) if result else {},
        "modules": [_module_feedback(m) for m in (result["modules"] if result else [])],
    }


FEEDBACK_KEYS = ("id", "title", "status", "points", "weight", "observed", "hint", "docs")


def _module_feedback(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": m["id"],
        "title": m["title"],
        "points": m["points"],
        "max_points": m["max_points"],
        "given": m.get("given", ""),
        "criteria": [{k: c.get(k) for k in FEEDBACK_KEYS} for c in m["criteria"]],
    }


def _graded_what(attempt: Attempt) -> str:
    return attempt.snapshot.describe() if attempt.snapshot else "the learner's services"


def _notes(grade: Grade) -> list[str]:
    notes = list(grade.notes)
    if grade.chosen:
        notes += grade.chosen.notes
        given = (grade.chosen.result or {}).get("given") or {}
        notes += [f"{m} given ({why}): not counted in your points" for m, why in given.items()]
        if grade.chosen.penalty:
            notes.append(
                f"late: {grade.chosen.snapshot.days_late if grade.chosen.snapshot else 0} day(s), "
                f"-{grade.chosen.penalty:g}% → {grade.total:g} of "
                f"{grade.chosen.result['points'] if grade.chosen.result else 0} points"
            )
    return notes


def _problem(grade: Grade) -> str:
    return "; ".join(a.problem for a in grade.attempts if a.problem) or "not graded"


def feedback_html(grade: Grade) -> str:
    """The learner's report: `lab check`'s HTML (hidden observations redacted) under a banner."""
    banner = (
        '<section class="grading" style="border:2px solid #d0d7de;border-radius:6px;'
        'padding:.5rem 1rem;margin-bottom:1rem">'
        f"<h2>{html.escape(grade.learner.id)}: {grade.total:g} points · {grade.status}</h2>"
        + (
            f"<p>out of the {grade.graded_max} points it could be graded on</p>"
            if grade.chosen
            else ""
        )
        + "".join(f"<p>{html.escape(n)}</p>" for n in _notes(grade))
        + "</section>"
    )
    chosen = grade.chosen
    if chosen is None or chosen.result is None:
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(grade.learner.id)}: not graded</title></head><body>{banner}"
            f"<p>{html.escape(_problem(grade))}</p></body></html>\n"
        )
    page = render_html(RunResult.from_dict(redacted(chosen.result)))
    return page.replace("<header>", banner + "<header>", 1)


def evidence(grade: Grade, modules: Sequence[str] = MODULES) -> dict[str, Any]:
    learner = grade.learner
    return {
        "id": learner.id,
        "roster_line": learner.line,
        "workspace": learner.workspace,
        "urls": learner.urls,
        "status": grade.status,
        "total": grade.total,
        "row": grade_row(
            grade, modules
        ),  # its grades.csv row: `lab grade merge` rebuilds grades.csv
        "seconds": grade.seconds,
        "notes": grade.notes,
        "attempts": [
            {
                "graded": _graded_what(a),
                "commit": a.snapshot.commit if a.snapshot else None,
                "committed_at": a.snapshot.committed_at.isoformat()
                if a.snapshot and a.snapshot.committed_at
                else None,
                "received": a.snapshot.received.isoformat()
                if a.snapshot and a.snapshot.received
                else None,
                "late_penalty_percent": a.penalty,
                "score": a.score,
                "chosen": a is grade.chosen,
                "exit_code": a.exit_code,
                "problem": a.problem,
                "notes": a.notes,
                "seconds": a.seconds,
                "check_log_tail": a.log_tail,
                "lab_up_log_tail": a.lab_log_tail,
                "self_reported": a.self_reported,
                "result": a.result,
            }
            for a in grade.attempts
        ],
    }


def write_learner(out: Path, grade: Grade, modules: Sequence[str] = MODULES) -> None:
    """feedback/<id>.json + .html and evidence/<id>.json for one learner."""
    learner_id = grade.learner.id
    write_private(
        out / "feedback" / f"{learner_id}.json",
        json.dumps(feedback(grade), indent=2, ensure_ascii=False) + "\n",
    )
    write_private(out / "feedback" / f"{learner_id}.html", feedback_html(grade))
    write_private(
        out / "evidence" / f"{learner_id}.json",
        json.dumps(evidence(grade, modules), indent=2, ensure_ascii=False) + "\n",
    )
