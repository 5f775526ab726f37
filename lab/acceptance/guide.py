"""The course-coverage table of the module guides (docs/modules.md and its zh-TW twin), made from
the rubric, so a test can keep the guides and config/rubric.yml in step."""

from __future__ import annotations

from lab.acceptance.rubric import Rubric, anchor

HEADERS = {
    "en": "| course id | what the course asks (in the lab's words) | graded by |",
    "zh_tw": "| 課程編號 | 課程要求（以本實驗室的說法） | 評分項目 |",
}


def coverage_markdown(rubric: Rubric, lang: str = "en") -> str:
    """A Markdown table: each course id, its paraphrase, and links to the criteria grading it."""
    rows = [HEADERS[lang], "|---|---|---|"]
    for cid, criteria in rubric.coverage().items():
        line = rubric.course.get(cid)
        text = (line.zh_tw if lang == "zh_tw" else line.en) if line else ""
        links = ", ".join(f"[{c}](#{anchor(c)})" for c in criteria) or "—"
        rows.append(f"| {cid} | {text} | {links} |")
    return "\n".join(rows) + "\n"
