"""The course's teaching layer, read from its `teaching/` folder (data, no code):

    M3.md, M3.zh-TW.md   the module's page: objectives, estimated time, why, a worked example
    M3.hints.yml         per criterion: the regions implementing it, why (level 1), the concept
                         (level 2) and, for a criterion no region implements, the steps (level 3)
    M3.quiz.yml          the self-check: 3-5 questions, each in both languages

Every text is given in each of `LANGS`; a missing one is an error when the file is read.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lab.exercises.course import DEFAULT_DIR, MODULE_ID

LANGS = ("en", "zh-TW")
#: the default course's teaching folder; another course's is `<course>/teaching`
TEACHING_DIR = DEFAULT_DIR / "teaching"
_MODULE = re.compile(rf"^{MODULE_ID}$")


class TeachingError(ValueError):
    """A teaching file that is missing or malformed; the message names the file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Text(_Strict):
    """One text in both languages."""

    en: str = Field(min_length=1)
    zh_tw: str = Field(min_length=1, alias="zh-TW")

    def get(self, lang: str) -> str:
        return self.zh_tw if lang == "zh-TW" else self.en


class CriterionTeaching(_Strict):
    regions: tuple[str, ...] = ()  # criterion ids of the solution regions that implement it
    why: Text
    concept: Text
    solution: Text | None = None  # level 3 when no region implements the criterion


class Question(_Strict):
    question: Text
    choices: list[Text] = Field(min_length=2, max_length=6)
    answer: int = Field(ge=1)  # 1-based, as the learner types it
    explain: Text

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> Question:
        if self.answer > len(self.choices):
            raise ValueError(f"answer {self.answer} but only {len(self.choices)} choices")
        return self


class Quiz(_Strict):
    module: str
    questions: list[Question] = Field(min_length=3, max_length=5)


def _load(path: Path) -> object:
    try:
        # libyaml's safe loader when PyYAML has it (ten times faster), else the pure-Python one
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except FileNotFoundError:
        raise TeachingError(f"{path}: missing") from None
    except (OSError, yaml.YAMLError) as exc:
        raise TeachingError(f"{path}: {exc}") from None


def _module(module: str) -> str:
    if not _MODULE.match(module):
        raise TeachingError(f"no module {module!r} (a module id is like M1)")
    return module


def hints(module: str, directory: Path = TEACHING_DIR) -> dict[str, CriterionTeaching]:
    """Criterion id -> its teaching, from `<module>.hints.yml`."""
    path = directory / f"{_module(module)}.hints.yml"
    doc = _load(path)
    if not isinstance(doc, dict):
        raise TeachingError(f"{path}: expected a mapping of criterion ids")
    try:
        return {str(k): CriterionTeaching.model_validate(v) for k, v in doc.items()}
    except ValidationError as exc:
        raise TeachingError(f"{path}: {exc}") from None


def criterion(cid: str, directory: Path = TEACHING_DIR) -> CriterionTeaching | None:
    """The teaching of one criterion (e.g. M4.crm_record), None when the course has none."""
    try:
        return hints(cid.split(".")[0], directory).get(cid)
    except TeachingError:
        return None


def quiz(module: str, directory: Path = TEACHING_DIR) -> Quiz:
    path = directory / f"{_module(module)}.quiz.yml"
    try:
        found = Quiz.model_validate(_load(path))
    except ValidationError as exc:
        raise TeachingError(f"{path}: {exc}") from None
    if found.module != module:
        raise TeachingError(f"{path}: says module {found.module}, expected {module}")
    return found


def page(module: str, lang: str = "en", directory: Path = TEACHING_DIR) -> Path:
    """The module's page in `lang` (`M3.md`, `M3.zh-TW.md`)."""
    suffix = ".zh-TW.md" if lang == "zh-TW" else ".md"
    return directory / f"{_module(module)}{suffix}"


def modules(directory: Path = TEACHING_DIR) -> list[str]:
    """The modules the teaching folder has pages for, in order."""
    found = {p.name.split(".")[0] for p in directory.glob("*.md")}
    return sorted(m for m in found if _MODULE.match(m))


def lint(directory: Path, criteria: dict[str, list[str]], regions: set[str]) -> list[str]:
    """What `lab course lint` reports of a teaching folder (none: it is complete). `criteria`:
    module -> its rubric criterion ids; `regions`: the criterion ids the solution marks. A
    course without a teaching folder has nothing to report (hints fall back to the rubric)."""
    if not directory.is_dir():
        return []
    problems: list[str] = []
    for module, ids in criteria.items():
        for lang in LANGS:
            if not page(module, lang, directory).is_file():
                problems.append(f"teaching: {page(module, lang, directory).name} is missing")
        try:
            taught = hints(module, directory)
            quiz(module, directory)
        except TeachingError as exc:
            problems.append(f"teaching: {exc}")
            continue
        problems += [f"teaching: {module}.hints.yml has no entry for {cid}" for cid in ids
                     if cid not in taught]  # fmt: skip
        for cid, entry in taught.items():
            unknown = [r for r in entry.regions if r not in regions]
            if unknown:
                problems.append(f"teaching: {cid} names parts no region marks: {unknown}")
            if not entry.regions and cid not in regions and entry.solution is None:
                problems.append(f"teaching: {cid} has no part and no `solution` steps (level 3)")
    return problems
