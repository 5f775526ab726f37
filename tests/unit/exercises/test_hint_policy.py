"""lab/exercises/hint_policy.py: the course says how far hints go and when the solution opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from lab.authoring.new import new_course
from lab.cli import main
from lab.exercises import course, hint_policy
from lab.settings import default_config_dir

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _course(tmp_path: Path, policy: str) -> course.Course:
    made = new_course(tmp_path / "c", default_config_dir() / "rubric.yml")
    (made.instructor_dir / "hints.yml").write_text(policy, encoding="utf-8")
    return made


def test_the_default_course_opens_every_level() -> None:
    policy = hint_policy.load(course.load())
    assert policy == hint_policy.HintPolicy() and policy.refusal(3, NOW) is None


def test_before_the_due_time_the_solution_is_closed_and_says_when(tmp_path: Path) -> None:
    due = NOW + timedelta(days=3)
    policy = hint_policy.load(_course(tmp_path, f"solution_opens: {{due: {due.isoformat()}}}\n"))
    assert policy.refusal(2, NOW) is None
    said = policy.refusal(3, NOW)
    assert said is not None and "2026-12-10 12:00 UTC" in said and "level 2 is open" in said
    assert policy.refusal(3, due) is None  # at the due time it opens


def test_failed_attempts_open_the_solution_and_a_cap_never_opens(tmp_path: Path) -> None:
    policy = hint_policy.HintPolicy(failed_attempts=3)
    said = policy.refusal(3, NOW, failures=2)
    assert said is not None and "after 3 failed checks" in said and "(2 so far)" in said
    assert policy.refusal(3, NOW, failures=3) is None
    capped = hint_policy.HintPolicy(max_level=1)
    assert capped.refusal(2, NOW) == "this course allows hints up to level 1"


@pytest.mark.parametrize(
    "text", ["max_level: 4\n", "solution_opens: {}\n", "solution_opens: {due: 2026-12-01}\n"]
)
def test_a_bad_policy_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(hint_policy.PolicyError, match=r"hints\.yml"):
        hint_policy.load(_course(tmp_path, text))


def test_lab_hint_level_3_refuses_before_the_due_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    due = datetime.now(UTC) + timedelta(days=30)
    made = _course(tmp_path, f"max_level: 3\nsolution_opens:\n  due: {due.isoformat()}\n")
    monkeypatch.setenv("LAB_COURSE", str(made.root))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    refused = runner.invoke(main, ["hint", "M2.reject", "--level", "3"])
    assert refused.exit_code == 1
    said = " ".join(refused.output.split())
    assert f"opens after the due time, {due:%Y-%m-%d %H:%M} UTC" in said
    assert "[float(v) for v in row]" not in refused.output
    shown = runner.invoke(main, ["hint", "M2.reject", "--level", "2"])
    assert shown.exit_code == 0, shown.output
