"""config/rubric.yml loads, covers the seed's acceptance items, and bad rubrics get clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lab.acceptance import RubricError, load_rubric
from lab.acceptance.rubric import anchor, counted

REPO = Path(__file__).resolve().parents[3]
SHIPPED = REPO / "config" / "rubric.yml"


@pytest.fixture(scope="module")
def shipped():
    return load_rubric(SHIPPED)


def test_the_shipped_rubric_has_m1_to_m6_worth_100(shipped):
    assert [m.id for m in shipped.modules] == ["M1", "M2", "M3", "M4", "M5", "M6"]
    assert sum(c.weight for m in shipped.modules for c in counted(m)) == 100
    for module in shipped.modules:  # a fallback (fallback_for) replaces a criterion, adds none
        assert sum(c.weight for c in counted(module)) == module.points
        for c in module.criteria:
            assert c.title and c.title_zh_tw and c.hint and c.hint_zh_tw
    assert len(shipped.sha256) == 64 and shipped.source == str(SHIPPED)


def test_m6_grades_what_the_tests_catch_within_its_20_points(shipped):
    m6 = shipped.module("M6")
    weights = {c.id.split(".")[1]: c.weight for c in m6.criteria}
    assert weights == {"tests": 9, "coverage": 2, "mutants": 2, "markers": 2, "integration": 3,
                       "ci": 2}  # fmt: skip
    assert m6.points == sum(weights.values()) == 20
    mutants = next(c for c in m6.criteria if c.id == "M6.mutants")
    assert mutants.kind == "tests_catch_mutants" and mutants.course == ["A-M6.3", "R-M6.C1"]
    assert (
        mutants.params().schedule.workspace_only
    )  # left out (and of the maximum) outside a workspace


#: The course's acceptance ids (course-acceptance.md): 18 README lines, 23 rubric criteria.
COURSE_IDS = {
    *(f"A-M{m}.{i}" for m in range(1, 7) for i in (1, 2, 3)),
    *(f"R-M{m}.C{i}" for m, n in {1: 3, 2: 5, 3: 4, 4: 3, 5: 4, 6: 4}.items()
      for i in range(1, n + 1)),
}  # fmt: skip


def test_every_course_id_is_graded_by_at_least_one_criterion(shipped):
    assert len(COURSE_IDS) == 41
    assert set(shipped.course) == COURSE_IDS  # each paraphrased in the lab's words
    coverage = shipped.coverage()
    ungraded = sorted(cid for cid in COURSE_IDS if not coverage.get(cid))
    assert not ungraded, f"course ids no criterion grades: {ungraded}"
    assert set(coverage) == COURSE_IDS  # and no criterion names an id the course lacks


def test_the_coverage_test_fails_when_an_id_loses_its_criterion(tmp_path):
    path = shipped_with(tmp_path, "        course: [R-M1.C2]\n", "        course: []\n")
    coverage = load_rubric(path).coverage()
    assert coverage["R-M1.C2"] == []
    assert sorted(cid for cid in COURSE_IDS if not coverage.get(cid)) == ["R-M1.C2"]


def test_a_criterion_naming_an_unknown_course_id_is_a_rubric_error(tmp_path):
    path = shipped_with(tmp_path, "        course: [R-M1.C2]\n", "        course: [R-M1.C9]\n")
    with pytest.raises(RubricError, match=r"course id R-M1.C9 is not in the `course` table") as err:
        load_rubric(path)
    assert err.value.module == "M1"


def test_the_shipped_rubric_keeps_the_course_behaviours(shipped):
    kinds = {c.kind: c for m in shipped.modules for c in m.criteria}
    assert len(kinds) == sum(len(m.criteria) for m in shipped.modules)  # one criterion per kind
    assert 30 <= len(kinds) <= 40
    assert kinds["crm_segment_update"].params().customer_id == "CUST_TEST_007"
    assert kinds["mlflow_alias"].params().alias == "champion"
    assert kinds["mlflow_alias"].params().label_tag == "version_label"
    metrics = kinds["api_metrics"].params().metrics
    assert metrics["prediction_requests_total"] == ["model_version"]
    assert metrics["prediction_latency_seconds"] == ["model_version"]
    assert {"crm_segment_updates_total", "model_loaded"} <= set(metrics)
    assert kinds["prometheus_target"].params().query == "prediction_requests_total"
    assert "--n_samples" in kinds["train_command"].params().flags


@pytest.mark.parametrize("guide", ["docs/modules.md", "docs/modules.zh-TW.md"])
def test_every_hint_link_has_its_anchor_in_the_guides(shipped, guide):
    text = (REPO / guide).read_text(encoding="utf-8")
    for module in shipped.modules:
        assert f'id="{anchor(module.id)}"' in text, module.id
        for c in module.criteria:
            assert f'id="{anchor(c.id)}"' in text, c.id


def test_the_badge_colours_go_from_red_to_green(shipped):
    assert shipped.badges.colour_for(0) == "#e05d44"
    assert shipped.badges.colour_for(100) == "#44cc11"
    assert shipped.badges.colour_for(85) == "#97ca00"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rubric.yml"
    path.write_text(text, encoding="utf-8")
    return path


def shipped_with(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return write(tmp_path, text.replace(old, new))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_an_unknown_check_kind_names_the_kinds_the_line_and_module(tmp_path):
    path = shipped_with(tmp_path, "{kind: api_health}", "{kind: api_healthz}")
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    message = str(err.value)
    assert message.startswith(f"{path} line {line_of(path, 'api_healthz')}: module M2: ")
    assert "'api_healthz' is unknown" in message and "api_health," in message


def test_a_bad_check_parameter_is_reported_at_its_line(tmp_path):
    path = shipped_with(
        tmp_path,
        "{kind: crm_segment_update, customer_id: CUST_TEST_007}",
        "{kind: crm_segment_update, customer_id: '../etc'}",
    )
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    assert err.value.line == line_of(path, "'../etc'") and err.value.module == "M4"
    assert "customer_id" in str(err.value)


def test_an_unknown_parameter_is_refused(tmp_path):
    path = shipped_with(tmp_path, "{kind: api_health}", "{kind: api_health, retries: 3}")
    with pytest.raises(RubricError, match=r"retries: Extra inputs are not permitted"):
        load_rubric(path)


def test_a_missing_field_names_the_criterion_line(tmp_path):
    path = shipped_with(
        tmp_path, "        title_zh_tw: 容器檔以非 root 使用者執行，且通過 hadolint\n", ""
    )
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    assert "title_zh_tw: Field required" in str(err.value) and err.value.module == "M2"
    assert err.value.line == line_of(path, "- id: M2.container")


def test_a_duplicate_key_is_an_error_not_silently_the_last_one(tmp_path):
    path = shipped_with(
        tmp_path,
        "    points: 18\n    criteria:\n      - id: M2.up",
        "    points: 18\n    points: 25\n    criteria:\n      - id: M2.up",
    )
    with pytest.raises(RubricError, match=r"'points' appears twice") as err:
        load_rubric(path)
    assert err.value.line == line_of(path, "points: 25")


def test_criterion_ids_must_belong_to_their_module_and_be_unique(tmp_path):
    path = shipped_with(tmp_path, "- id: M4.crm_record", "- id: M4.segment_update")
    with pytest.raises(RubricError, match=r"M4\.segment_update used twice"):
        load_rubric(path)
    path = shipped_with(tmp_path, "- id: M4.crm_record", "- id: M5.crm_record")
    with pytest.raises(RubricError, match=r"must start with M4\."):
        load_rubric(path)


def test_badges_need_a_colour_for_a_zero_score(tmp_path):
    path = shipped_with(tmp_path, '    - {at_least: 0, color: "#e05d44"}', "")
    with pytest.raises(RubricError, match=r"at_least: 0"):
        load_rubric(path)
    path = shipped_with(tmp_path, '"#e05d44"', "reddish")
    with pytest.raises(RubricError, match=r"badges\.colors\.4\.color"):
        load_rubric(path)


def test_files_that_are_not_a_rubric(tmp_path):
    with pytest.raises(RubricError, match=r"cannot read the rubric"):
        load_rubric(tmp_path / "missing.yml")
    with pytest.raises(RubricError, match=r"must be a mapping"):
        load_rubric(write(tmp_path, "- just\n- a list\n"))
    bad = tmp_path / "latin1.yml"
    bad.write_bytes("title: caf\xe9\n".encode("latin-1"))
    with pytest.raises(RubricError, match=r"not UTF-8"):
        load_rubric(bad)
    with pytest.raises(RubricError, match=r"line 4: not valid YAML: .* started at line 3"):
        load_rubric(write(tmp_path, "version: 1\nmodules:\n  - id: [M1\n"))


def test_a_rubric_dumped_and_reloaded_is_the_same(shipped, tmp_path):
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    again = load_rubric(write(tmp_path, yaml.safe_dump(data, allow_unicode=True)))
    assert again.modules == shipped.modules and again.badges == shipped.badges


@pytest.mark.parametrize(("guide", "lang"), [("docs/modules.md", "en"),
                                             ("docs/modules.zh-TW.md", "zh_tw")])  # fmt: skip
def test_the_guides_carry_the_course_coverage_table_of_the_rubric(shipped, guide, lang):
    from lab.acceptance.guide import coverage_markdown

    text = (REPO / guide).read_text(encoding="utf-8")
    table = coverage_markdown(shipped, lang)
    assert table in text, f"{guide}: regenerate its table with lab.acceptance.guide"
    assert table.count("\n") == 2 + len(COURSE_IDS) and "| — |" not in table
