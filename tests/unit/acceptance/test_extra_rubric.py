"""`--extra-rubric`: the instructor's criteria are validated against the public rubric, added to
their modules (points included), and only they change the scores; `policy` and its deadline."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest

from lab.acceptance import RubricError, load_rubric
from lab.acceptance.checks import Status
from lab.acceptance.extra import load_extra_rubric, merge, record_hidden, with_extra
from lab.acceptance.formats import verdict
from lab.acceptance.policy import Policy
from lab.acceptance.scoring import total_score

CONFIG = Path(__file__).resolve().parents[3] / "config"


@pytest.fixture(scope="module")
def public():
    return load_rubric(CONFIG / "rubric.yml")


def test_the_shipped_example_extends_the_public_rubric(public):
    extra = load_extra_rubric(CONFIG / "rubric.extra.example.yml", public)
    assert extra.total_points == public.policy.hidden_points == 10
    merged = merge(public, extra)
    assert merged.total_points == public.total_points + 10
    for module in extra.modules:
        before, after = public.module(module.id), merged.module(module.id)
        assert after.points == before.points + sum(c.weight for c in module.criteria)
        assert [c.id for c in after.criteria][: len(before.criteria)] == [
            c.id for c in before.criteria
        ]
    # the same kinds with other inputs: another customer, other bad bodies, another row
    kinds = {c.kind for m in extra.modules for c in m.criteria}
    assert {"crm_segment_update", "api_rejects_bad_input", "api_predict"} <= kinds


def test_hidden_criteria_change_scores_only_through_themselves(public):
    merged, hidden = with_extra(public, CONFIG / "rubric.extra.example.yml")
    public_ids = {c.id for m in public.modules for c in m.criteria}
    statuses = {c.id: Status.PASS for m in merged.modules for c in m.criteria}
    full = total_score(merged.modules, statuses)
    assert full.points == full.max_points == 110
    for cid in hidden["criteria"]:  # failing one hidden criterion costs exactly its weight
        weight = next(c.weight for m in merged.modules for c in m.criteria if c.id == cid)
        assert total_score(merged.modules, {**statuses, cid: Status.FAIL}).points == 110 - weight
    public_only = {cid: s for cid, s in statuses.items() if cid in public_ids}
    assert total_score(merged.modules, public_only).points == 100  # the public points unchanged
    assert total_score(public.modules, public_only).points == 100


@pytest.mark.parametrize(
    ("modules", "message"),
    [
        ("[{id: M9, criteria: [M9.x]}]", "module M9 is not in the public rubric"),
        ("[{id: M2, criteria: [M4.x]}]", "criterion M4.x must start with M2."),
        ("[{id: M4, criteria: [M4.x, M4.x]}]", "criterion id M4.x used twice"),
        ("[{id: M4, points: 3, criteria: [M4.x]}]", "add up to 10 but the module says 3"),
        ("[{id: M4, criteria: [PUBLIC]}]", "used twice"),
    ],
)
def test_a_bad_extra_rubric_names_the_problem(public, tmp_path, modules, message):
    public_m4 = next(c.id for c in public.module("M4").criteria)
    crit = (
        "{id: ID, title: t, title_zh_tw: t, weight: 10, hint: h, "
        "check: {kind: crm_segment_update, customer_id: CUST003}}"
    )
    for cid in ("M9.x", "M4.x", "PUBLIC"):
        modules = modules.replace(cid, crit.replace("ID", cid))
    path = tmp_path / "extra.yml"
    path.write_text(f"version: 1\nmodules: {modules.replace('PUBLIC', public_m4)}\n", "utf-8")
    with pytest.raises(RubricError, match=message):
        load_extra_rubric(path, public)


def test_the_extra_points_must_match_what_learners_are_told(public, tmp_path):
    path = tmp_path / "extra.yml"
    path.write_text(
        "version: 1\nmodules:\n  - id: M4\n    criteria:\n"
        "      - {id: M4.x, title: t, title_zh_tw: t, weight: 4, hint: h,\n"
        "         check: {kind: crm_record, customer_id: CUST003}}\n",
        encoding="utf-8",
    )
    with pytest.raises(RubricError, match=r"grade 4 points, but the public rubric .* grade 10"):
        load_extra_rubric(path, public)


def test_an_unknown_kind_or_parameter_is_refused(public, tmp_path):
    path = tmp_path / "extra.yml"
    path.write_text(
        "version: 1\nmodules:\n  - id: M4\n    criteria:\n"
        "      - {id: M4.x, title: t, title_zh_tw: t, weight: 10, hint: h,\n"
        "         check: {kind: crm_record, customer: CUST003}}\n",
        encoding="utf-8",
    )
    with pytest.raises(RubricError, match=r"line 6.*M4\.x: check crm_record customer"):
        load_extra_rubric(path, public)


def test_without_the_extra_rubric_the_run_says_the_instructors_checks_did_not_run(public):
    """At full marks the report tells the truth: every criterion it graded passed (`passed`),
    and the instructor's checks did not run here (`hidden.ran`), which the verdict says."""
    _, hidden = with_extra(public, None)
    assert hidden == {"points": 10, "ran": False, "criteria": []}

    class Result:
        passed = True
        hidden: ClassVar[dict] = {}
        counts: ClassVar[dict] = {"pass": 6, "fail": 0, "skip": 0, "error": 0}

    result = Result()
    record_hidden(result, hidden)  # type: ignore[arg-type]
    assert result.passed is True and result.hidden == {"points": 10, "ran": False, "criteria": []}
    said = verdict(result)  # type: ignore[arg-type]
    assert said.startswith("every public criterion passes") and "did not run here" in said


def test_policy_penalty_per_started_day():
    policy = Policy(due=datetime(2026, 12, 1, 12, tzinfo=UTC), late_penalty_per_day=10)
    assert policy.penalty_percent(datetime(2026, 12, 1, 11, tzinfo=UTC)) == 0
    assert policy.days_late(datetime(2026, 12, 1, 12, 1, tzinfo=UTC)) == 1
    assert policy.penalty_percent(datetime(2026, 12, 3, 13, tzinfo=UTC)) == 30
    assert policy.penalty_percent(datetime(2027, 6, 1, tzinfo=UTC)) == 100
    extra = Policy(due=datetime(2026, 12, 5, tzinfo=UTC))
    assert policy.merged(extra).due == extra.due and policy.merged(extra).late_penalty_per_day == 10
