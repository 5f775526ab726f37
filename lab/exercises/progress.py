"""`progress.json` at a workspace's root: per criterion, attempts, failures, first pass, hints
used; per module, the latest self-check (`lab quiz`). It is tracked (committed with the
learner's work), so `lab grade` shows the instructor the path, labelled *self-reported*.

{"version": 1, "criteria": {"M4.crm_record": {"attempts": 3, "failures": 2, "first_pass":
 "2026-…", "last_status": "pass", "last_attempt": "2026-…", "hints_used": 1}},
 "quizzes": {"M4": {"answers": [2, 1, 3], "correct": 2, "total": 3, "attempts": 1, "at": "…"}}}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lab import workspace
from lab.exercises.hints import scan
from lab.files import write_atomic
from lab.net import UNREACHABLE

FILE = Path("progress.json")
LEGACY = Path(".lab") / "progress.json"  # where it was kept before (git-ignored)


def path_of(root: Path) -> Path:
    """The workspace's progress file (a legacy `.lab/progress.json` while there is no other)."""
    if not (root / FILE).is_file() and (root / LEGACY).is_file():
        return root / LEGACY
    return root / FILE


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _doc(root: Path, key: str) -> dict[str, dict[str, Any]]:
    """The mapping under `key` of the file; a missing or unreadable file is empty."""
    try:
        doc = json.loads(path_of(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found = doc.get(key) if isinstance(doc, dict) else None
    return {k: v for k, v in (found or {}).items() if isinstance(v, dict)}


def read(root: Path) -> dict[str, dict[str, Any]]:
    """Criterion id -> its record; a missing or unreadable file is an empty progress."""
    return _doc(root, "criteria")


def _write(
    root: Path,
    criteria: Mapping[str, dict[str, Any]],
    quizzes_: Mapping[str, dict[str, Any]] | None = None,
) -> Path:
    target = root / FILE
    kept = quizzes(root) if quizzes_ is None else quizzes_
    doc: dict[str, Any] = {"version": 1, "criteria": dict(sorted(criteria.items()))}
    if kept:
        doc["quizzes"] = dict(sorted(kept.items()))
    write_atomic(target, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return target


def _entry(criteria: dict[str, dict[str, Any]], cid: str) -> dict[str, Any]:
    return criteria.setdefault(
        cid, {"attempts": 0, "first_pass": None, "last_status": None, "hints_used": 0}
    )


def attempted(status: str, observed: str = "") -> bool:
    """Whether a graded criterion is an attempt of the learner's: a check that could not run
    (error), was skipped, or found nothing listening (the lab was down) says nothing of it."""
    if status in ("skip", "error"):
        return False
    return not (status == "fail" and observed.startswith(UNREACHABLE))


def record_statuses(root: Path, statuses: Iterable[tuple[str, str]]) -> Path:
    """Add one attempt per (criterion id, status) graded by `lab check`."""
    criteria = read(root)
    now = _now()
    for cid, status in statuses:
        entry = _entry(criteria, cid)
        entry["attempts"] = int(entry.get("attempts", 0)) + 1
        entry["last_status"] = status
        entry["last_attempt"] = now
        if status == "fail":
            entry["failures"] = int(entry.get("failures", 0)) + 1
        if status == "pass" and not entry.get("first_pass"):
            entry["first_pass"] = now
    return _write(root, criteria)


def record_check_json(root: Path, result: Mapping[str, Any]) -> Path:
    """Record a check.json (RunResult) document's criteria that were attempts (`attempted`)."""
    statuses = [
        (str(c["id"]), str(c["status"]))
        for m in result.get("modules", [])
        for c in m.get("criteria", [])
        if attempted(str(c["status"]), str(c.get("observed", "")))
    ]
    return record_statuses(root, statuses)


def after_check(project_dir: Path, result_json: str) -> str | None:
    """`lab check`'s hook: in a workspace, record the run; the line to print, else None."""
    ws = workspace.find(project_dir)
    if ws is None:
        return None
    result = json.loads(result_json)
    path = record_check_json(ws.root, result)
    lines = [f"progress: {path} (`lab exercise status` shows the path, `lab hint ID` helps)"]
    failed = [c for m in result.get("modules", []) for c in m.get("criteria", [])]
    failed = [c for c in failed if c.get("status") != "pass"]
    index = scan(ws.root) if failed else None  # one pass over the workspace for every criterion
    for c in failed:
        where = index.of(c["id"]) if index is not None else []
        if where:
            lines.append(f"TODO {c['id']}: {', '.join(where)}")
    return "\n".join(lines)


def use_hint(root: Path, cid: str, most: int, level: int | None = None) -> int:
    """Count one more hint for `cid` (at most `most`), or record that `level` was read; the
    level to show (1-based). `hints_used` is the highest level read."""
    criteria = read(root)
    entry = _entry(criteria, cid)
    used = int(entry.get("hints_used", 0))
    shown = min(level if level is not None else used + 1, most)
    entry["hints_used"] = max(used, shown)
    _write(root, criteria)
    return shown


def quizzes(root: Path) -> dict[str, dict[str, Any]]:
    """Module -> its latest self-check (`lab quiz`): answers, correct, total, when."""
    return _doc(root, "quizzes")


def record_quiz(root: Path, module: str, answers: list[int], correct: int) -> Path:
    """Record a module's self-check answers (1-based choices) beside the criteria."""
    found = quizzes(root)
    attempts = int(found.get(module, {}).get("attempts", 0)) + 1
    found[module] = {
        "answers": list(answers), "correct": correct, "total": len(answers),
        "attempts": attempts, "at": _now(),
    }  # fmt: skip
    return _write(root, read(root), found)


@dataclass(frozen=True)
class ModuleStatus:
    module: str
    passed: int  # criteria whose latest check passed
    total: int

    @property
    def done(self) -> bool:
        return self.total > 0 and self.passed == self.total

    @property
    def label(self) -> str:
        if self.done:
            return "done"
        return f"{self.passed}/{self.total}" if self.passed else "to do"


def module_status(
    criteria: Mapping[str, dict[str, Any]], module: str, ids: Iterable[str]
) -> ModuleStatus:
    ids = list(ids)
    passed = sum(1 for cid in ids if criteria.get(cid, {}).get("last_status") == "pass")
    return ModuleStatus(module, passed, len(ids))


def failures(root: Path, cid: str) -> int:
    """How many checks of `cid` failed (what a hint policy may open the solution after)."""
    return int(read(root).get(cid, {}).get("failures", 0))


def hints_used(root: Path, cid: str) -> int:
    return int(read(root).get(cid, {}).get("hints_used", 0))
