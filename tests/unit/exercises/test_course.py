"""lab/exercises/course.py: a course is a folder of data, read from course.yml."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.exercises import course, source

COURSE_YML = """
version: 1
title: A short course
title_zh_tw: 短課程
modules:
  - {id: W1, title: One, title_zh_tw: 一, services: [api]}
  - {id: W2, title: Two, title_zh_tw: 二, needs: [W1]}
  - {id: W3, title: Three, title_zh_tw: 三, needs: [W1, W2]}
  - {id: W4, title: Four, title_zh_tw: 四, needs: [W3]}
uses:
  W3.served: [W2]
"""


def test_the_default_course_is_data_shipped_with_the_lab() -> None:
    c = course.load()
    assert c.root == course.DEFAULT_DIR and (c.root / "course.yml").is_file()
    assert c.ids == ("M1", "M2", "M3", "M4", "M5", "M6")
    assert c.open is True  # its source is public in this repository, and it says so
    assert c.project_dir.is_dir() and c.task_file("M4").is_file()
    assert c.task_file("m4", "zh-TW").name == "M4.zh-TW.md"
    assert not (c.root / "__init__.py").exists()  # data, not a package
    assert c.uses_of("M3.served") == ("M2",)


def test_a_course_may_have_four_modules_of_any_name(tmp_path: Path) -> None:
    (tmp_path / "course.yml").write_text(COURSE_YML, encoding="utf-8")
    c = course.load(tmp_path)
    assert c.ids == ("W1", "W2", "W3", "W4")
    assert c.open is False  # an instructor's own course is closed by default
    assert c.get("w3").needs == ("W1", "W2")
    text = "x = 1\n# BEGIN SOLUTION W4.score: compute it\nx = 2\n# END SOLUTION\n"
    (region,) = source.regions("a.py", text)
    assert region.module == "W4"
    assert "see tasks/W4.md" in source.render("a.py", text, solved=[])


def test_an_unknown_module_names_the_known_ones() -> None:
    with pytest.raises(course.UnknownModule, match=r"M9.*M1, M2, M3, M4, M5, M6"):
        course.load().get("M9")


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (("needs: [W1]", "needs: [W7]"), "W2 needs W7"),
        (("id: W4", "id: W3"), "used twice"),
        (("W3.served: [W2]", "W8.served: [W2]"), "W8.served"),
        (("title: A short course", "titel: A short course"), "titel"),
    ],
)
def test_a_bad_course_yml_says_what_is_wrong(
    tmp_path: Path, change: tuple[str, str], said: str
) -> None:
    (tmp_path / "course.yml").write_text(COURSE_YML.replace(*change), encoding="utf-8")
    with pytest.raises(course.CourseError, match=said):
        course.load(tmp_path)


def test_a_folder_without_course_yml_is_not_a_course(tmp_path: Path) -> None:
    with pytest.raises(course.CourseError, match="lab course new"):
        course.load(tmp_path)
