"""lab/exercises/teaching.py: the teaching folder is read strictly, and `lab course lint` says
what an instructor's copy lacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.authoring.lint import lint
from lab.authoring.new import new_course
from lab.exercises import course, teaching
from lab.settings import default_config_dir

CONFIG = default_config_dir()


@pytest.fixture
def mine(tmp_path: Path) -> course.Course:
    return new_course(tmp_path / "mycourse", CONFIG / "rubric.yml")


def test_the_default_teaching_folder_is_complete(mine: course.Course) -> None:
    assert [p for p in lint(mine, CONFIG) if p.startswith("teaching")] == []


def test_lint_names_a_missing_page_entry_and_broken_quiz(mine: course.Course) -> None:
    folder = mine.root / "teaching"
    (folder / "M2.zh-TW.md").unlink()
    hints = folder / "M4.hints.yml"
    text = hints.read_text(encoding="utf-8")
    hints.write_text(text.replace("M4.flow_log:", "M4.not_a_criterion:"), encoding="utf-8")
    quiz = folder / "M5.quiz.yml"
    quiz.write_text("module: M5\nquestions: []\n", encoding="utf-8")
    said = "\n".join(lint(mine, CONFIG))
    assert "M2.zh-TW.md is missing" in said
    assert "M4.hints.yml has no entry for M4.flow_log" in said
    assert "M5.quiz.yml" in said


def test_a_course_without_a_teaching_folder_has_nothing_to_report(tmp_path: Path) -> None:
    assert teaching.lint(tmp_path / "none", {"M1": ["M1.env"]}, set()) == []


def test_a_text_missing_its_translation_is_refused(tmp_path: Path) -> None:
    (tmp_path / "M1.hints.yml").write_text(
        "M1.env:\n  why: {en: Because.}\n  concept: {en: C, zh-TW: C}\n", encoding="utf-8"
    )
    with pytest.raises(teaching.TeachingError, match="zh-TW"):
        teaching.hints("M1", tmp_path)
    assert teaching.criterion("M1.env", tmp_path) is None
