"""config/rubric.yml: modules of weighted criteria, each naming a check kind, plus badge colours.

`load_rubric` validates everything up front; a bad file raises `RubricError` naming the file,
the line and, where one is involved, the module.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    StringConstraints,
    ValidationError,
    model_validator,
)

from lab.acceptance._yaml_lines import Loc, YamlError, line_of, load_with_lines
from lab.acceptance.checks import CHECK_KINDS, Params
from lab.acceptance.policy import Policy
from lab.workspace import MODULE_PATTERN

COURSE_ID = r"^(?:A-M[1-9]\.[0-9]{1,2}|R-M[1-9]\.C[0-9]{1,2})$"
MODULE_ID = MODULE_PATTERN  # the course names its modules (lab.workspace owns the pattern)
HEX_COLOUR = r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"


class RubricError(ValueError):
    """A rubric that cannot be used; the message names the file, line and module."""

    def __init__(self, path: Path | str, message: str, line: int | None = None, module: str = ""):
        self.path, self.line, self.module = str(path), line, module
        where = self.path + (f" line {line}" if line else "")
        super().__init__(f"{where}: {f'module {module}: ' if module else ''}{message}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(_Strict):
    id: str = Field(pattern=rf"^{MODULE_ID}\.[a-z0-9_]{{1,40}}$")
    title: str = Field(min_length=1)
    title_zh_tw: str = Field(min_length=1)
    weight: PositiveInt
    check: dict[str, Any]
    hint: str = Field(min_length=1)
    hint_zh_tw: str | None = None
    #: what to do inside a learner's workspace, when `hint` names the lab's own commands
    #: (`lab serve`, `lab train`) instead of the learner's
    hint_workspace: str | None = None
    hint_workspace_zh_tw: str | None = None
    timeout: float | None = Field(None, gt=0, le=7200)
    #: the course's acceptance ids this criterion grades (A-M4.2, R-M4.C3)
    course: list[Annotated[str, StringConstraints(pattern=COURSE_ID)]] = Field(default_factory=list)
    #: the criterion of the same module this one stands in for when that one cannot be graded
    #: (skipped: its service is absent). Only one of the two counts: the other is left out.
    fallback_for: str | None = None

    @property
    def kind(self) -> str:
        return str(self.check["kind"])

    def what_to_do(self, lang: str = "en", in_workspace: bool = False) -> str:
        """The hint in `lang` (English when it has no translation), for a workspace or not."""
        if in_workspace and self.hint_workspace:
            zh = self.hint_workspace_zh_tw
            return zh if lang == "zh-TW" and zh else self.hint_workspace
        return self.hint_zh_tw if lang == "zh-TW" and self.hint_zh_tw else self.hint

    def params(self) -> Params:
        found = CHECK_KINDS.get(self.kind)
        assert found is not None  # load_rubric checked it
        return found.params.model_validate({k: v for k, v in self.check.items() if k != "kind"})

    def effective_timeout(self) -> float:
        """Its time budget: its `timeout:`, else its kind's (the one place this is worked out)."""
        found = CHECK_KINDS.get(self.kind)
        return (found.params if found else Params).schedule.timeout_for(self.timeout)


class Module(_Strict):
    id: str = Field(pattern=rf"^{MODULE_ID}$")
    title: str = Field(min_length=1)
    title_zh_tw: str = Field(min_length=1)
    points: PositiveInt
    criteria: list[Criterion] = Field(min_length=1)


class BadgeColour(_Strict):
    at_least: float = Field(ge=0, le=100)  # percent of the points
    color: str = Field(pattern=HEX_COLOUR)


class Badges(_Strict):
    label: str = "lab check"
    colors: list[BadgeColour] = Field(min_length=1)

    @model_validator(mode="after")
    def _covers_zero(self) -> Badges:
        if not any(c.at_least == 0 for c in self.colors):
            raise ValueError("colors needs an entry with at_least: 0, so every score has a colour")
        return self

    def colour_for(self, percent: float) -> str:
        for entry in sorted(self.colors, key=lambda c: c.at_least, reverse=True):
            if percent >= entry.at_least:
                return entry.color
        return self.colors[-1].color


class Docs(_Strict):
    """The module guides; each has an anchor per module (`m4`) and criterion (`m4-crm_record`)."""

    en: str = "docs/modules.md"
    zh_tw: str = "docs/modules.zh-TW.md"
    #: Where links in reports point, e.g. https://github.com/ORG/mlops-lab/blob/main/ (default:
    #: the files in the graded project folder).
    base_url: str | None = Field(default=None, pattern=r"^https?://\S+/$")


def anchor(item_id: str) -> str:
    """The guides' anchor of a module or criterion id: M4 -> m4, M4.crm_record -> m4-crm_record."""
    return item_id.lower().replace(".", "-")


class CourseLine(_Strict):
    """One acceptance line of the course, paraphrased in the lab's words."""

    en: str = Field(min_length=1)
    zh_tw: str = Field(min_length=1)


class Rubric(_Strict):
    version: Literal[1]
    title: str
    title_zh_tw: str
    #: the maximum, when stated: the modules' points must add up to it (a typo guard); unstated,
    #: the maximum is their sum, so it follows the course (4 modules or 9)
    points: PositiveInt | None = None
    docs: Docs = Docs()
    badges: Badges
    policy: Policy = Policy()  # hidden_points, due, late_penalty_per_day (lab grade)
    modules: list[Module] = Field(min_length=1)
    #: the course's acceptance ids (A-..., R-...) -> what each asks; criteria name them in `course`
    course: dict[Annotated[str, StringConstraints(pattern=COURSE_ID)], CourseLine] = Field(
        default_factory=dict
    )
    source: str = ""  # set by load_rubric: the file it came from
    sha256: str = ""

    @property
    def total_points(self) -> int:
        return sum(m.points for m in self.modules)

    def coverage(self) -> dict[str, list[str]]:
        """Each course id (the `course` table's, then any other a criterion names) -> the ids
        of the criteria that grade it, in rubric order (an empty list: not graded)."""
        table: dict[str, list[str]] = {cid: [] for cid in self.course}
        for module in self.modules:
            for crit in module.criteria:
                for cid in crit.course:
                    table.setdefault(cid, []).append(crit.id)
        return table

    def module(self, module_id: str) -> Module:
        for module in self.modules:
            if module.id.lower() == module_id.lower():
                return module
        raise KeyError(module_id)


def load_rubric(path: Path) -> Rubric:
    """Read and validate `path`; raise `RubricError` with the file, line and module on a fault."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RubricError(path, f"cannot read the rubric: {exc.strerror or exc}") from None
    try:
        data, lines = load_with_lines(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RubricError(path, f"not UTF-8 text ({exc.reason})") from None
    except YamlError as exc:
        raise RubricError(path, str(exc), exc.line) from None
    return validate_rubric(data, lines, path, sha256=hashlib.sha256(raw).hexdigest())


def validate_rubric(data: Any, lines: dict[Loc, int], path: Path | str, sha256: str = "") -> Rubric:
    """Validate parsed rubric data (with its line map) into a `Rubric`."""
    if not isinstance(data, dict):
        raise RubricError(path, "the rubric must be a mapping with version, badges and modules", 1)
    try:
        rubric = Rubric.model_validate({**data, "source": str(path), "sha256": sha256})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        field = ".".join(str(p) for p in loc) or "rubric"
        raise RubricError(
            path, f"{field}: {err['msg']}", line_of(lines, loc), _module_at(data, loc)
        ) from None
    _check_ids(rubric, lines, path)
    _check_course(rubric, lines, path)
    _check_kinds(rubric, lines, path)
    _check_fallbacks(rubric, lines, path)
    _check_points(rubric, lines, path)
    return rubric


def _module_at(data: dict[str, Any], loc: Loc) -> str:
    if len(loc) >= 2 and loc[0] == "modules" and isinstance(loc[1], int):
        modules = data.get("modules") or []
        if loc[1] < len(modules) and isinstance(modules[loc[1]], dict):
            return str(modules[loc[1]].get("id", f"#{loc[1] + 1}"))
    return ""


def _check_ids(rubric: Rubric, lines: dict[Loc, int], path: Path | str) -> None:
    seen_modules: set[str] = set()
    seen: set[str] = set()
    for i, module in enumerate(rubric.modules):
        if module.id in seen_modules:
            raise RubricError(
                path, "module id used twice", line_of(lines, ("modules", i)), module.id
            )
        seen_modules.add(module.id)
        for j, crit in enumerate(module.criteria):
            line = line_of(lines, ("modules", i, "criteria", j, "id"))
            if not crit.id.startswith(module.id + "."):
                raise RubricError(
                    path, f"criterion {crit.id} must start with {module.id}.", line, module.id
                )
            if crit.id in seen:
                raise RubricError(path, f"criterion id {crit.id} used twice", line, module.id)
            seen.add(crit.id)


def _check_course(rubric: Rubric, lines: dict[Loc, int], path: Path | str) -> None:
    """With a `course` table, every id a criterion names must be in it (a typo is an error)."""
    if not rubric.course:
        return
    for i, module in enumerate(rubric.modules):
        for j, crit in enumerate(module.criteria):
            unknown = [cid for cid in crit.course if cid not in rubric.course]
            if unknown:
                raise RubricError(
                    path,
                    f"{crit.id}: course id {', '.join(unknown)} is not in the `course` table",
                    line_of(lines, ("modules", i, "criteria", j, "course")),
                    module.id,
                )


def _check_kinds(rubric: Rubric, lines: dict[Loc, int], path: Path | str) -> None:
    for i, module in enumerate(rubric.modules):
        for j, crit in enumerate(module.criteria):
            at: Loc = ("modules", i, "criteria", j, "check")
            kind = crit.check.get("kind")
            if CHECK_KINDS.get(str(kind)) is None:
                known = ", ".join(CHECK_KINDS.names())
                raise RubricError(
                    path,
                    f"{crit.id}: check kind {kind!r} is unknown (known kinds: {known})",
                    line_of(lines, (*at, "kind")),
                    module.id,
                )
            try:
                crit.params()
            except ValidationError as exc:
                err = exc.errors()[0]
                field = ".".join(str(p) for p in err["loc"])
                raise RubricError(
                    path,
                    f"{crit.id}: check {kind} {field}: {err['msg']}",
                    line_of(lines, (*at, *err["loc"])),
                    module.id,
                ) from None


def _check_fallbacks(rubric: Rubric, lines: dict[Loc, int], path: Path | str) -> None:
    """A fallback names a criterion of its module that is no fallback itself, of equal weight."""
    for i, module in enumerate(rubric.modules):
        by_id = {c.id: c for c in module.criteria}
        for j, crit in enumerate(module.criteria):
            if crit.fallback_for is None:
                continue
            line = line_of(lines, ("modules", i, "criteria", j, "fallback_for"))
            primary = by_id.get(crit.fallback_for)
            if primary is None or primary.fallback_for is not None or primary.id == crit.id:
                why = f"fallback_for must name another criterion of {module.id}, not a fallback"
                raise RubricError(path, f"{crit.id}: {why}", line, module.id)
            if primary.weight != crit.weight:
                why = f"a fallback has the weight of {primary.id} ({primary.weight})"
                raise RubricError(path, f"{crit.id}: {why}, not {crit.weight}", line, module.id)


def counted(module: Module) -> list[Criterion]:
    """The criteria whose weights make the module's points (a fallback replaces another)."""
    return [c for c in module.criteria if c.fallback_for is None]


def _check_points(rubric: Rubric, lines: dict[Loc, int], path: Path | str) -> None:
    for i, module in enumerate(rubric.modules):
        weights = sum(c.weight for c in counted(module))
        if weights != module.points:
            parts = " + ".join(f"{c.id} {c.weight}" for c in counted(module))
            raise RubricError(
                path,
                f"criteria weights add up to {weights} ({parts}) but the module is worth "
                f"{module.points} points",
                line_of(lines, ("modules", i, "points")),
                module.id,
            )
    if rubric.points is not None and rubric.total_points != rubric.points:
        parts = ", ".join(f"{m.id} {m.points}" for m in rubric.modules)
        raise RubricError(
            path,
            f"module points add up to {rubric.total_points} ({parts}), not {rubric.points} "
            "(the rubric's `points`)",
            line_of(lines, ("points",)),
        )
