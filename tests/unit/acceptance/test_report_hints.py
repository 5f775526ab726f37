"""The HTML report's hints: a failed criterion shows its hint in English and, marked as
Traditional Chinese, in zh-TW, with links to both module guides; a pass shows none."""

from __future__ import annotations

from html.parser import HTMLParser

from lab.acceptance import render_html
from tests.unit.acceptance.test_runner_and_outputs import project, result  # noqa: F401 (fixtures)

ZH = "zh-Hant-TW"


class _Hints(HTMLParser):
    """Per criterion id (the <strong> of its row): the hint's English text, its zh-TW spans
    and its links (text -> (href, lang))."""

    def __init__(self) -> None:
        super().__init__()
        self.hints: dict[str, dict] = {}
        self._id: str | None = None
        self._in_id = False
        self._depth = 0  # inside div.hint
        self._lang: list[str | None] = []
        self._href: tuple[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "strong" and not self._depth:
            self._in_id = True
        if tag == "div" and a.get("class") == "hint":
            self._depth = 1
            self.hints[self._id] = {"en": [], "zh": [], "links": {}}
        elif self._depth:
            self._depth += tag != "br"
            self._lang.append(a.get("lang"))
            if tag == "a":
                self._href = (a["href"], a.get("lang"))

    def handle_endtag(self, tag):
        if tag == "strong":
            self._in_id = False
        if self._depth and tag != "br":
            self._depth -= 1
            if self._lang:
                self._lang.pop()

    def handle_data(self, data):
        if self._in_id:
            self._id = data.strip()
        if not self._depth or not data.strip():
            return
        hint = self.hints[self._id]
        if self._href is not None:
            hint["links"][data.strip()] = self._href
            self._href = None
        elif self._lang and self._lang[-1] == ZH:
            hint["zh"].append(data.strip())
        else:
            hint["en"].append(data.strip())


def hints(html: str) -> dict[str, dict]:
    parser = _Hints()
    parser.feed(html)
    return parser.hints


def test_a_failed_criterion_shows_both_hints_and_both_guides(result):  # noqa: F811
    ci = result.modules[0].criteria[0]
    ci.status = "fail"  # its rubric line has hint: add a tox step, hint_zh_tw: 加上 tox 步驟
    found = hints(render_html(result))
    assert set(found) == {"M1.ci", "M1.container"}  # the two fails; passes and skips: none
    base = result.docs_base
    assert found["M1.ci"] == {
        "en": ["add a tox step", "·"],  # the hint, then the links' separator
        "zh": ["加上 tox 步驟"],
        "links": {
            "guide": (f"{base}docs/modules.md#m1-ci", None),
            "說明": (f"{base}docs/modules.zh-TW.md#m1-ci", ZH),
        },
    }


def test_a_fail_without_a_zh_tw_hint_shows_no_empty_chinese_line(result):  # noqa: F811
    found = hints(render_html(result))
    assert found["M1.container"]["en"][0] == "add USER"
    assert found["M1.container"]["zh"] == []
    assert found["M1.container"]["links"]["說明"][0].endswith("docs/modules.zh-TW.md#m1-container")


def test_at_full_marks_the_report_tells_the_truth(result):  # noqa: F811
    """Every criterion graded passes and the instructor's checks did not run here: the report
    says so, and sends the learner to no hints (there are none)."""
    from lab.acceptance.extra import record_hidden

    for criterion in result.criteria():
        criterion.status = "pass"
    result.counts = {"pass": len(result.criteria()), "fail": 0, "skip": 0, "error": 0}
    result.passed = True
    record_hidden(result, {"points": 10, "ran": False, "criteria": []})
    html = render_html(result)
    assert result.passed is True
    assert "not every criterion passes" not in html and "see the hints below" not in html
    assert "every public criterion passes" in html and "did not run here" in html
    assert hints(html) == {}
