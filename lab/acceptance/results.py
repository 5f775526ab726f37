"""The results of one `lab check` run, as plain data that round-trips through JSON."""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lab import __version__
from lab.acceptance.checks import Status

SCHEMA = "mlops-lab/check-results/1"


@dataclass
class CriterionResult:
    id: str
    title: str
    title_zh_tw: str
    kind: str
    weight: int
    status: str  # pass | fail | skip | error
    points: int
    observed: str  # what was seen (pass/fail) or why it was skipped
    hint: str
    hint_zh_tw: str | None
    docs: str  # link into the English module guide
    docs_zh_tw: str
    duration_seconds: float
    timeout_seconds: float
    course: list[str] = field(default_factory=list)  # the course ids it grades


@dataclass
class ModuleResult:
    id: str
    title: str
    title_zh_tw: str
    points: int
    max_points: int
    percent: float
    color: str
    docs: str
    docs_zh_tw: str
    criteria: list[CriterionResult] = field(default_factory=list)
    #: why the module is not the learner's work (`lab grade`: solved by the course, a catch-up
    #: pack); "" when it is. A given module's points are out of the total and the maximum.
    given: str = ""

    def count(self, status: Status) -> int:
        return sum(1 for c in self.criteria if c.status == status.value)


@dataclass
class RunResult:
    schema: str
    title: str
    started_at: str
    finished_at: str
    duration_seconds: float
    points: int
    max_points: int
    percent: float
    color: str
    badge_label: str
    passed: bool  # every criterion passed
    counts: dict[str, int]
    targets: dict[str, str]
    project_dir: str
    docs_base: str  # where the guides' links point (a file: URI or the docs.base_url)
    rubric: dict[str, str]
    versions: dict[str, str]
    modules: list[ModuleResult] = field(default_factory=list)
    project: str = ""  # the project graded (its folder)
    #: the instructor's checks: {points, ran, criteria: [ids]} (lab.acceptance.extra)
    hidden: dict[str, Any] = field(default_factory=dict)
    #: criteria left out because they cannot apply to this project: id -> why (not in the max)
    not_applicable: dict[str, str] = field(default_factory=dict)
    #: module id -> why it is given (lab.grading.assigned); not counted in points or maximum
    given: dict[str, str] = field(default_factory=dict)

    def criteria(self) -> list[CriterionResult]:
        return [c for m in self.modules for c in m.criteria]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        modules = [
            ModuleResult(
                **{k: v for k, v in m.items() if k != "criteria"},
                criteria=[CriterionResult(**c) for c in m["criteria"]],
            )
            for m in data["modules"]
        ]
        return cls(**{k: v for k, v in data.items() if k != "modules"}, modules=modules)

    @classmethod
    def read(cls, path: Path) -> RunResult:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(self.to_json() + "\n", encoding="utf-8")
        tmp.replace(path)
        return path


def base_versions() -> dict[str, str]:
    """Versions of what ran the check (services add theirs as the checks find them)."""
    return {
        "mlops_lab": __version__,
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "executable": sys.executable,
    }
