"""`lab hint`: three levels per criterion, each teaching more than the one before.

1. what the criterion wants (the rubric's hint; in a workspace, the one naming the learner's own
   commands), why it matters, and the task line of each part that implements it;
2. the concept and the API: the course's concept, the course author's `# HINT:` lines of those
   parts, and the learner's own TODO lines that name them;
3. the solution: those parts' code, verbatim (the caller prints it with no markup), or, for a
   criterion no code implements, the steps.

Which parts implement a criterion is the course's teaching data (`regions:`), else the regions
named after the criterion itself.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lab.exercises import source, teaching
from lab.exercises.hints import todos

LEVELS = 3

_WORDS = {
    "en": {
        "why": "Why: ",
        "part": "Your part:",
        "concept": "Concept: ",
        "author": "From the course author:",
        "todo": "Your TODO lines: ",
        "no_todo": "No TODO line of this workspace names it any more: the part is written.",
        "solution": "One way to write it (the solution):",
        "steps": "The steps:",
        "none": "The course has no teaching text for {cid}: its rubric hint above is all.",
        "closed": "This course does not ship the solution of {cid}: ask your instructor.",
    },
    "zh-TW": {
        "why": "為什麼：",
        "part": "你的部分：",
        "concept": "概念：",
        "author": "課程作者的提示：",
        "todo": "你的 TODO 行：",
        "no_todo": "此工作區已沒有 TODO 行提到它：這部分已寫好。",
        "solution": "一種寫法（解答）：",
        "steps": "步驟：",
        "none": "課程沒有 {cid} 的教學內容：上方的評分提示就是全部。",
        "closed": "此課程不提供 {cid} 的解答：請詢問你的講師。",
    },
}


@dataclass(frozen=True)
class Ladder:
    """The course's material for one criterion's hints."""

    criterion: str
    what: str  # the rubric's hint in the chosen language (the workspace variant in a workspace)
    teaching: teaching.CriterionTeaching | None
    regions: tuple[source.Region, ...]
    parts: tuple[str, ...] = ()  # the criterion ids of the parts (a release keeps only their TODOs)

    def text(self, level: int, lang: str = "en", root: Path | None = None) -> str:
        """Hint `level` (1..LEVELS) in `lang`; `root` is the learner's workspace, if any."""
        words = _WORDS.get(lang, _WORDS["en"])
        if level <= 1:
            return self._what(words, lang)
        if level == 2:
            return self._concept(words, lang, root)
        return self._solution(words, lang)

    def _what(self, words: Mapping[str, str], lang: str) -> str:
        lines = [self.what]
        if self.teaching is not None:
            lines.append(f"{words['why']}{self.teaching.why.get(lang)}")
        if self.regions:
            lines.append(words["part"])
            lines += [f"  - {r.task} ({r.path})" for r in self.regions]
        return "\n".join(lines)

    def _concept(self, words: Mapping[str, str], lang: str, root: Path | None) -> str:
        if self.teaching is None:
            return words["none"].format(cid=self.criterion)
        lines = [f"{words['concept']}{self.teaching.concept.get(lang)}"]
        notes = [n for r in self.regions for n in r.hint_lines(lang)]
        if notes:
            lines.append(words["author"])
            lines += [f"  - {n}" for n in dict.fromkeys(notes)]
        if root is not None and (self.regions or self.parts):
            ids = dict.fromkeys([*self.parts, *(r.criterion for r in self.regions)])
            where = [w for cid in ids for w in todos(root, cid)]
            lines.append(words["todo"] + (", ".join(where) if where else words["no_todo"]))
        return "\n".join(lines)

    def _solution(self, words: Mapping[str, str], lang: str) -> str:
        if self.teaching is not None and self.teaching.solution is not None:
            return f"{words['steps']}\n{self.teaching.solution.get(lang).rstrip()}"
        if not self.regions:
            return words["closed"].format(cid=self.criterion)
        parts = [words["solution"]]
        for r in self.regions:
            parts.append(f"--- {r.path} ({r.criterion}: {r.task})")
            parts.append(textwrap.dedent("\n".join(r.code)))
        return "\n".join(parts)


def ladder(
    criterion: str,
    what: str,
    *,
    files: dict[str, str] | None = None,
    teaching_dir: Path = teaching.TEACHING_DIR,
) -> Ladder:
    """The ladder of `criterion`; `what` is the rubric's hint to start level 1 with."""
    taught = teaching.criterion(criterion, teaching_dir)
    ids = taught.regions if taught is not None and taught.regions else (criterion,)
    found = list(source.all_regions(files))
    regions = tuple(r for cid in ids for r in found if r.criterion == cid)
    return Ladder(criterion, what, taught, regions, tuple(ids))
