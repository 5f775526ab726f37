"""The course's hint policy: the highest hint level a learner may read, and when the solution
level opens (after the due time, or after N failed checks of the criterion).

    # instructor/hints.yml (a release carries it as hints.yml)
    max_level: 3            # 1..3; 3 is the solution
    solution_opens:         # leave out: the solution level is open from the start
      due: 2026-12-20T23:59:00+08:00
      failed_attempts: 5    # either one opens it

`lab hint` asks `HintPolicy.refusal(level, ...)` before it shows a level; None means it may.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationError,
    model_validator,
)

from lab.exercises.course import Course

__all__ = ["FILE", "SOLUTION_LEVEL", "HintPolicy", "PolicyError", "load"]

FILE = "hints.yml"
SOLUTION_LEVEL = 3  # the last rung of `lab hint`: the solution's code


class PolicyError(ValueError):
    """A hints.yml that cannot be used; the message names the file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Opens(_Strict):
    due: AwareDatetime | None = None
    failed_attempts: PositiveInt | None = None

    @model_validator(mode="after")
    def _one(self) -> _Opens:
        if self.due is None and self.failed_attempts is None:
            raise ValueError("solution_opens needs `due`, `failed_attempts` or both")
        return self


class _Doc(_Strict):
    max_level: int = Field(SOLUTION_LEVEL, ge=1, le=SOLUTION_LEVEL)
    solution_opens: _Opens | None = None


@dataclass(frozen=True)
class HintPolicy:
    max_level: int = SOLUTION_LEVEL
    due: datetime | None = None  # the solution level opens after it
    failed_attempts: int | None = None  # ...or after this many failed checks of the criterion

    @property
    def gated(self) -> bool:
        return self.due is not None or self.failed_attempts is not None

    def solution_open(self, now: datetime, failures: int) -> bool:
        if not self.gated:
            return True
        after_due = self.due is not None and now >= self.due
        tried = self.failed_attempts is not None and failures >= self.failed_attempts
        return after_due or tried

    def highest(self, now: datetime, failures: int) -> int:
        """The highest level open now."""
        if self.max_level >= SOLUTION_LEVEL and not self.solution_open(now, failures):
            return SOLUTION_LEVEL - 1
        return self.max_level

    def refusal(self, level: int, now: datetime | None = None, failures: int = 0) -> str | None:
        """None if `level` may be shown now; else why not, and when it opens."""
        now = now or datetime.now(UTC)
        if level <= self.highest(now, failures):
            return None
        if level > self.max_level:
            return f"this course allows hints up to level {self.max_level}"
        when = []
        if self.due is not None:
            when.append(f"after the due time, {self.due.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
        if self.failed_attempts is not None:
            when.append(
                f"after {self.failed_attempts} failed checks of this criterion ({failures} so far)"
            )
        return (
            f"hint level {level} (the solution) opens {' or '.join(when)}; "
            f"level {self.highest(now, failures)} is open now"
        )


def _file(of: Course) -> Path | None:
    for path in (of.instructor_dir / FILE, of.root / FILE):
        if path.is_file():
            return path
    return None


def load(of: Course) -> HintPolicy:
    """The course's policy (instructor/hints.yml, or hints.yml in a release); none: all open."""
    path = _file(of)
    if path is None:
        return HintPolicy()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        doc = _Doc.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"{path}: cannot read it: {exc}") from None
    except ValidationError as exc:
        said = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise PolicyError(f"{path}: {said}") from None
    opens = doc.solution_opens
    return HintPolicy(
        doc.max_level,
        opens.due if opens else None,
        opens.failed_attempts if opens else None,
    )
