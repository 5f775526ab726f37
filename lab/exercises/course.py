"""A course: a folder of data the lab reads, never code it imports.

    course.yml      modules (order, titles, needs, services), `uses`, fixtures, `open`, `rubric`
    project/        the marked solution project (lab.exercises.source)
    tasks/          Mx.md and Mx.zh-TW.md per module
    rubric.yml      the public rubric (the default course uses the lab's config/rubric.yml)
    instructor/     the instructor's part (hidden rubric, hidden mutants, hint policy)

The default course ships with the lab (lab/courses/default/, package data). An instructor's own
course lives anywhere: `--course DIR` or LAB_COURSE selects it (`selected_dir`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lab.workspace import MODULE_PATTERN

__all__ = [
    "DEFAULT_DIR",
    "FILE",
    "MODULE_ID",
    "Course",
    "CourseError",
    "Module",
    "UnknownModule",
    "load",
    "selected_dir",
]

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "courses" / "default"
FILE = "course.yml"
#: a module id: a letter, then letters, digits or `_` (M1, M9, week_3); a criterion is `ID.name`
MODULE_ID = MODULE_PATTERN


class CourseError(ValueError):
    """A course folder that cannot be used; the message names the file and what is wrong."""


class UnknownModule(KeyError):
    def __init__(self, module_id: str, known: tuple[str, ...]) -> None:
        super().__init__(module_id)
        self.known = known

    def __str__(self) -> str:
        return f"no module {self.args[0]!r} in this course (there are {', '.join(self.known)})"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ModuleDoc(_Strict):
    id: str = Field(pattern=rf"^{MODULE_ID}$")
    title: str = Field(min_length=1)
    title_zh_tw: str = Field(min_length=1)
    needs: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)


class _CourseDoc(_Strict):
    version: int = Field(1, ge=1, le=1)
    title: str = Field(min_length=1)
    title_zh_tw: str = Field(min_length=1)
    open: bool = False
    modules: list[_ModuleDoc] = Field(min_length=1)
    uses: dict[str, list[str]] = Field(default_factory=dict)
    fixtures: list[str] = Field(default_factory=list)
    #: the public rubric, a path inside the course (None: the lab's config/rubric.yml)
    rubric: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> _CourseDoc:
        ids = [m.id for m in self.modules]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"module id used twice: {', '.join(twice)}")
        for m in self.modules:
            unknown = [n for n in m.needs if n not in ids or n == m.id]
            if unknown:
                raise ValueError(f"module {m.id} needs {', '.join(unknown)}: not another module")
        for cid, mods in self.uses.items():
            if not re.fullmatch(rf"{MODULE_ID}\.[a-z0-9_]+", cid) or cid.split(".")[0] not in ids:
                raise ValueError(f"uses: {cid!r} is not a criterion of one of the modules")
            if any(m not in ids for m in mods):
                raise ValueError(f"uses: {cid} names a module the course does not have")
        for rel in [*self.fixtures, *([self.rubric] if self.rubric else [])]:
            if Path(rel).is_absolute() or ".." in Path(rel).parts:
                raise ValueError(f"{rel!r} must be a path inside the course folder")
        return self


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    title_zh_tw: str
    needs: tuple[str, ...]  # modules whose solutions a one-module workspace holds
    services: tuple[str, ...]  # the lab's processes its criteria talk to

    def task_link(self) -> str:
        """Where a starter's TODO points (the task text copied into every workspace)."""
        return f"tasks/{self.id}.md"


@dataclass(frozen=True)
class Course:
    root: Path
    title: str
    title_zh_tw: str
    open: bool
    modules: tuple[Module, ...]
    #: criteria of one module that also grade another module's code (M3.served asks M2's /health)
    uses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fixtures: tuple[str, ...] = ()
    rubric: str | None = None  # course.yml's `rubric` (None: the lab's)

    @property
    def project_dir(self) -> Path:
        return self.root / "project"

    @property
    def tasks_dir(self) -> Path:
        return self.root / "tasks"

    @property
    def instructor_dir(self) -> Path:
        return self.root / "instructor"

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.modules)

    def get(self, module_id: str) -> Module:
        """The module `module_id` (case-insensitive); UnknownModule if the course has none."""
        for module in self.modules:
            if module.id.lower() == module_id.lower():
                return module
        raise UnknownModule(module_id, self.ids)

    def task_file(self, module_id: str, lang: str = "en") -> Path:
        suffix = ".zh-TW.md" if lang == "zh-TW" else ".md"
        return self.tasks_dir / f"{self.get(module_id).id}{suffix}"

    def uses_of(self, criterion: str) -> tuple[str, ...]:
        return self.uses.get(criterion, ())

    def rubric_file(self, config_dir: Path) -> Path:
        """The public rubric: the course's own, else `config_dir`/rubric.yml (the lab's)."""
        return self.root / self.rubric if self.rubric else config_dir / "rubric.yml"


def selected_dir(explicit: Path | None = None) -> Path:
    """The course folder: `explicit` (`--course` or Settings.LAB_COURSE), else the default."""
    return (explicit or DEFAULT_DIR).expanduser().resolve()


def load(root: Path | None = None) -> Course:
    """Read and validate `root`/course.yml (default: the lab's own course)."""
    root = selected_dir(root)
    path = root / FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(
            f"{root} is not a course folder: it has no {FILE} (`lab course new DIR` makes one)"
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CourseError(f"{path}: cannot read it: {exc}") from None
    try:
        doc = _CourseDoc.model_validate(data if isinstance(data, dict) else {"modules": data})
    except ValidationError as exc:
        said = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or FILE}: {err['msg']}" for err in exc.errors()
        )
        raise CourseError(f"{path}: {said}") from None
    modules = tuple(
        Module(m.id, m.title, m.title_zh_tw, tuple(m.needs), tuple(m.services)) for m in doc.modules
    )
    uses = {cid: tuple(mods) for cid, mods in doc.uses.items()}
    return Course(
        root, doc.title, doc.title_zh_tw, doc.open, modules, uses, tuple(doc.fixtures), doc.rubric
    )
