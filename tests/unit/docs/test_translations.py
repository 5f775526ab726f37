"""English pages and their Traditional Chinese twins stay level: the same sections, lists, code,
commands and criteria. Covers the course's teaching pages and tasks and docs/exercises.md.

"Level" is structural (a translation cannot be compared word by word): the heading levels in
order, every fenced code block byte for byte (but for its comments), the number of list items,
the inline code, the `lab ...` commands and the criterion ids each page names.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lab.exercises import course, teaching

REPO = Path(__file__).resolve().parents[3]
COURSE = course.load()
TEACHING = COURSE.root / "teaching"
PAIRS = [
    (REPO / "docs" / "exercises.md", REPO / "docs" / "exercises.zh-TW.md"),
    *((COURSE.task_file(m), COURSE.task_file(m, "zh-TW")) for m in COURSE.ids),
    *((teaching.page(m, "en", TEACHING), teaching.page(m, "zh-TW", TEACHING)) for m in COURSE.ids),
]
INLINE = re.compile(r"`([^`]+)`")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
COMMAND = re.compile(r"`(lab [a-z][a-z-]*(?: [a-z][a-z-]*)?)")
CRITERION = re.compile(r"\b(M[1-9]\.(?!md\b|zh\b|svg\b|json\b|yml\b)[a-z_]+[a-z])")


def _uncommented(block: str) -> str:
    """A code block without its `#` comments (a translation may translate those)."""
    lines = (re.sub(r"(^|\s+)#(?![!\[]).*$", "", line).rstrip() for line in block.splitlines())
    return "\n".join(line for line in lines if line)


def shape(text: str) -> dict[str, object]:
    """What a faithful translation keeps of a Markdown page."""
    prose = FENCE.sub("", text)
    return {
        "headings": [len(m) for m in re.findall(r"^(#+) ", prose, re.M)],
        "code": [_uncommented(block) for block in FENCE.findall(text)],
        "items": len(re.findall(r"^\s*(?:[-*]|\d+\.) ", prose, re.M)),
        "commands": sorted(set(COMMAND.findall(prose))),
        "inline code": sorted({" ".join(c.split()) for c in INLINE.findall(prose)}),
        "criteria": sorted(set(CRITERION.findall(prose))),
    }


@pytest.mark.parametrize(("en", "zh"), PAIRS, ids=lambda p: p.name)
def test_the_traditional_chinese_page_is_level_with_the_english(en: Path, zh: Path) -> None:
    english, chinese = shape(en.read_text(encoding="utf-8")), shape(zh.read_text(encoding="utf-8"))
    differ = {k: _diff(english[k], chinese[k]) for k in english if english[k] != chinese[k]}
    assert not differ, f"{zh.relative_to(REPO)} is not level with {en.name}: {differ}"


def _diff(en: object, zh: object) -> object:
    """Only what differs, when both are lists of strings (else both)."""
    if isinstance(en, list) and isinstance(zh, list) and all(isinstance(x, str) for x in en + zh):
        return {"English only": sorted(set(en) - set(zh)), "zh-TW only": sorted(set(zh) - set(en))}
    return (en, zh)


def test_the_level_test_sees_a_missing_section() -> None:
    page = "# T\n\n## A\n\n- one\n- two\n\n## B\n\n`lab check -m M1` grades M1.env\n"
    assert shape(page) != shape(page.replace("## B\n", ""))
    assert shape(page) != shape(page.replace("- two\n", ""))
    assert shape(page) != shape(page.replace("M1.env", ""))


@pytest.mark.parametrize("module", COURSE.ids)
def test_each_module_page_states_objectives_time_and_a_self_check(module: str) -> None:
    questions = len(teaching.quiz(module, TEACHING).questions)
    for lang, (time_, objectives, check) in {
        "en": ("**Estimated time:** ", "## Objectives", f"asks {questions} questions"),
        "zh-TW": ("**預估時間：** ", "## 學習目標", f"會問 {questions} 個問題"),
    }.items():
        text = teaching.page(module, lang, TEACHING).read_text(encoding="utf-8")
        assert re.search(re.escape(time_) + r"\d+ h", text), f"{module} {lang}: no time"
        section = text.split(objectives, 1)[1].split("\n## ", 1)[0]
        assert 3 <= len(re.findall(r"^\d+\. ", section, re.M)) <= 5, f"{module} {lang}"
        assert check in text and f"lab quiz {module}" in text
        assert "```" in text  # the worked example


@pytest.mark.parametrize("module", COURSE.ids)
def test_each_quiz_has_every_text_in_both_languages(module: str) -> None:
    quiz = teaching.quiz(module, TEACHING)
    assert 3 <= len(quiz.questions) <= 5
    for q in quiz.questions:
        texts = [q.question, q.explain, *q.choices]
        assert all(t.en.strip() and t.zh_tw.strip() for t in texts)
        assert 1 <= q.answer <= len(q.choices)


@pytest.mark.parametrize("module", COURSE.ids)
def test_the_module_guides_link_the_page_and_quote_its_time(module: str) -> None:
    page = teaching.page(module, "en", TEACHING).read_text(encoding="utf-8")
    found = re.search(r"\*\*Estimated time:\*\* (.+)", page)
    assert found is not None
    time_ = found[1].strip()
    for guide, name, said in (
        ("modules.md", f"{module}.md", f"time ({time_})"),
        ("modules.zh-TW.md", f"{module}.zh-TW.md", f"預估時間（{time_}）"),
    ):
        text = (REPO / "docs" / guide).read_text(encoding="utf-8")
        assert f"teaching/{name})" in text and said in text, f"{guide}: {module}'s page and time"
