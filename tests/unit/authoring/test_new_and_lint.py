"""lab/authoring/new.py and lint.py: an instructor's own course, and what lint finds in it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lab.authoring.lint import lint
from lab.authoring.new import CourseExists, new_course
from lab.exercises import course
from lab.settings import default_config_dir

CONFIG = default_config_dir()


@pytest.fixture
def mine(tmp_path: Path) -> course.Course:
    return new_course(tmp_path / "mycourse", CONFIG / "rubric.yml")


def test_a_new_course_is_a_closed_copy_with_its_own_rubric(mine: course.Course) -> None:
    assert mine.open is False and mine.ids == course.load().ids
    assert mine.rubric_file(CONFIG) == mine.root / "rubric.yml"
    assert (mine.root / "rubric.yml").read_bytes() == (CONFIG / "rubric.yml").read_bytes()
    assert (mine.project_dir / "app" / "main.py").is_file()
    assert (mine.instructor_dir / "mutants.yml").is_file()
    assert not list(mine.root.rglob("__pycache__"))
    assert lint(mine, CONFIG) == []


def test_new_never_overwrites(mine: course.Course) -> None:
    with pytest.raises(CourseExists):
        new_course(mine.root, CONFIG / "rubric.yml")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_lint_finds_broken_markers_and_unknown_criteria(mine: course.Course) -> None:
    main = mine.project_dir / "app" / "main.py"
    _edit(main, "# END SOLUTION", "# END SOLUTIONS")
    assert any(p.startswith("markers: app/main.py:") for p in lint(mine, CONFIG))
    _edit(main, "# END SOLUTIONS", "# END SOLUTION")
    _edit(main, "# BEGIN SOLUTION M2.", "# BEGIN SOLUTION M2.nothing_")
    assert any("is not a criterion of the rubric" in p for p in lint(mine, CONFIG))


def test_lint_finds_a_rubric_that_does_not_add_up_and_other_modules(mine: course.Course) -> None:
    rubric = mine.root / "rubric.yml"
    data = yaml.safe_load(rubric.read_text(encoding="utf-8"))
    data["modules"][0]["criteria"][0]["weight"] += 1
    rubric.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert any("criteria weights add up to" in p for p in lint(mine, CONFIG))
    data["modules"][0]["criteria"][0]["weight"] -= 1
    data["points"] = None
    data["modules"] = data["modules"][:4]  # a four-module rubric: its maximum follows it
    rubric.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    said = lint(mine, CONFIG)
    assert any("are not the course's, in order" in p for p in said)
    assert not any("add up to" in p for p in said)


def test_lint_wants_both_languages_naming_the_same_criteria(mine: course.Course) -> None:
    (mine.tasks_dir / "M3.zh-TW.md").unlink()
    _edit(mine.tasks_dir / "M2.zh-TW.md", "`M2.reject`", "M2.reject")
    said = lint(mine, CONFIG)
    assert "tasks: M3.zh-TW.md is missing" in said
    assert any(p.startswith("tasks: M2's two languages") and "M2.reject" in p for p in said)


def test_lint_checks_the_hidden_mutants_and_the_hint_policy(mine: course.Course) -> None:
    _edit(mine.instructor_dir / "mutants.yml", "find: self.crm_updates", "find: self.crm_nothing")
    (mine.instructor_dir / "hints.yml").write_text("max_level: 5\n", encoding="utf-8")
    said = lint(mine, CONFIG)
    assert any("hidden mutant crm_updates_not_counted" in p for p in said)
    assert any(p.startswith("instructor: ") and "max_level" in p for p in said)


def test_lint_checks_the_hidden_rubric_against_the_public_one(mine: course.Course) -> None:
    hidden = mine.instructor_dir / "rubric.yml"
    _edit(hidden, "id: M6.hidden_mutants", "id: M6.hidden_mutants_too\n        weight: 9")
    assert any(p.startswith("instructor: ") for p in lint(mine, CONFIG))
