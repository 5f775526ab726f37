"""The marked solution files, and the starter generated from them.

A learner part is a region
    # BEGIN SOLUTION M4.crm_record: PUT the segment with the bearer token
    ...the solution...
    # END SOLUTION
In a starter it becomes, at the BEGIN line's indentation,
    raise NotImplementedError("M4.crm_record: PUT the segment ..., see tasks/M4.md")
in a Python file, a `# TODO M4.crm_record: ...` comment in TOML, YAML, INI or a Dockerfile, and
in JSON (which has no comments) a dashboard panel titled with the TODO whose query finds nothing.
Which modules are solved decides which regions keep their code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lab.exercises import course
from lab.exercises.course import MODULE_ID

#: any module id the course names (no module pattern is fixed: a course may have 4 or 9). A
#: release's project marks the same regions `# BEGIN PART` / `# END PART` around the TODO line
#: alone (lab.authoring.release): it holds no solution, and renders the same starters.
BEGIN = re.compile(
    rf"^(?P<indent>[ \t]*)# BEGIN (?:SOLUTION|PART) (?P<id>{MODULE_ID}\.[a-z0-9_]+): "
    r"(?P<task>.+?)\s*$"
)
END = re.compile(r"^[ \t]*# END (?:SOLUTION|PART)\s*$")
#: The course author's level-2 hint inside a region, in English or another language:
#: `# HINT: text` / `# HINT zh-TW: text`. Left out of the solution's code and of every starter.
HINT = re.compile(r"^[ \t]*# HINT(?: (?P<lang>[a-z]{2}(?:-[A-Z]{2})?))?: (?P<text>.+?)\s*$")
#: Path segments stored under another name in the package (setuptools skips dot-files).
DOT_PREFIX = "dot-"


class MarkerError(ValueError):
    """A BEGIN without END, an END without BEGIN, or a nested region."""


@dataclass(frozen=True)
class Region:
    path: str  # workspace-relative, with `/`
    criterion: str  # e.g. M4.crm_record
    task: str  # one line of the task
    indent: str
    begin: int  # 0-based line index of the BEGIN marker
    end: int  # 0-based line index of the END marker
    code: tuple[str, ...]  # the solution's lines between the markers, `# HINT` lines left out
    hints: tuple[tuple[str, str], ...] = ()  # (language, text) of its `# HINT` lines

    def hint_lines(self, lang: str = "en") -> list[str]:
        """The course author's hints in `lang` (English when none is in that language)."""
        found = [text for language, text in self.hints if language == lang]
        return found or [text for language, text in self.hints if language == "en"]

    @property
    def module(self) -> str:
        return self.criterion.split(".")[0]

    def todo(self) -> str:
        """The starter's stand-in for this region (one line, indentation kept)."""
        where = f"tasks/{self.module}.md"
        message = f"{self.criterion}: {self.task}, see {where}"
        quoted = json.dumps(message, ensure_ascii=False)
        if self.path.endswith(".py") and self.indent:
            return f"{self.indent}raise NotImplementedError({quoted})"
        # a module-level Python region (e.g. `pytestmark`) stays importable: a comment
        if self.path.endswith(".json"):  # JSON has no comments: a panel whose query finds nothing
            return f'{self.indent}{{"title": {quoted}, "targets": [{{"expr": "TODO"}}]}}'
        return f"{self.indent}# TODO {message}"


def workspace_name(stored: Path) -> str:
    """`dot-github/workflows/ci.yml` -> `.github/workflows/ci.yml`."""
    parts = [("." + p[len(DOT_PREFIX) :]) if p.startswith(DOT_PREFIX) else p for p in stored.parts]
    return "/".join(parts)


def project_files(root: Path | None = None) -> dict[str, str]:
    """Workspace-relative path -> text of every solution file (caches left out); `root`: a
    course's project/ (default: the lab's default course)."""
    root = root if root is not None else course.load().project_dir
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files[workspace_name(path.relative_to(root))] = path.read_text(encoding="utf-8")
    return files


def regions(path: str, text: str) -> list[Region]:
    """The marked regions of one file, in order; MarkerError on unbalanced markers."""
    lines = text.splitlines()
    found: list[Region] = []
    open_at: tuple[int, re.Match[str]] | None = None
    for i, line in enumerate(lines):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if open_at is not None:
                raise MarkerError(f"{path}:{i + 1}: BEGIN SOLUTION inside another region")
            open_at = (i, begin)
        elif end:
            if open_at is None:
                raise MarkerError(f"{path}:{i + 1}: END SOLUTION without BEGIN")
            start, match = open_at
            body = lines[start + 1 : i]
            notes = [m for m in map(HINT.match, body) if m]
            found.append(
                Region(
                    path, match["id"], match["task"], match["indent"], start, i,
                    tuple(line for line in body if not HINT.match(line)),
                    tuple((m["lang"] or "en", m["text"]) for m in notes),
                )
            )  # fmt: skip
            open_at = None
        elif ("SOLUTION" in line or "PART" in line) and ("# BEGIN" in line or "# END" in line):
            raise MarkerError(f"{path}:{i + 1}: malformed marker (`# BEGIN SOLUTION Mx.id: task`)")
    if open_at is not None:
        raise MarkerError(f"{path}:{open_at[0] + 1}: BEGIN SOLUTION without END SOLUTION")
    return found


def render(path: str, text: str, solved: Iterable[str]) -> str:
    """The file as a workspace holds it: solved modules' regions as code, the others as TODOs."""
    solved = set(solved)
    lines = text.splitlines()
    out: list[str] = []
    cursor = 0
    for region in regions(path, text):
        out.extend(lines[cursor : region.begin])
        out.extend(region.code if region.module in solved else [region.todo()])
        cursor = region.end + 1
    out.extend(lines[cursor:])
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def all_regions(files: dict[str, str] | None = None) -> Iterator[Region]:
    for path, text in (files if files is not None else project_files()).items():
        yield from regions(path, text)


def criteria_of(module: str, files: dict[str, str] | None = None) -> list[str]:
    """The criterion ids the module's regions name, in file order, each once."""
    return list(dict.fromkeys(r.criterion for r in all_regions(files) if r.module == module))


def holds_solutions(root: Path) -> bool:
    """Whether the project at `root` holds solution regions (a release's holds parts only)."""
    return any("# BEGIN SOLUTION " in text for text in project_files(root).values())
