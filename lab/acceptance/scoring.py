"""Scoring: a criterion earns its weight when it passes, nothing when it fails or is skipped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lab.acceptance.checks import Status
from lab.acceptance.rubric import Criterion, Module


@dataclass(frozen=True)
class Score:
    points: int
    max_points: int

    @property
    def percent(self) -> float:
        """Share of the points earned, 0-100 (a module with no points scores 0)."""
        if self.max_points <= 0:
            return 0.0
        return round(100.0 * self.points / self.max_points, 1)

    def __add__(self, other: Score) -> Score:
        return Score(self.points + other.points, self.max_points + other.max_points)


def criterion_points(weight: int, status: Status | None) -> int:
    return weight if status is Status.PASS else 0


def counted(module: Module, statuses: Mapping[str, Status]) -> list[Criterion]:
    """The criteria that count: of a fallback and its primary (`fallback_for`), the fallback
    only when the primary was skipped and the fallback graded; else the primary."""
    dropped = set()
    present = {c.id for c in module.criteria}
    for crit in module.criteria:
        if crit.fallback_for is None or crit.fallback_for not in present:
            continue  # (a primary left out of the run: its fallback counts on its own)
        primary_skipped = statuses.get(crit.fallback_for) is Status.SKIP
        dropped.add(crit.fallback_for if primary_skipped and crit.id in statuses else crit.id)
    return [c for c in module.criteria if c.id not in dropped]


def module_score(module: Module, statuses: Mapping[str, Status]) -> Score:
    """Points of `module` given each criterion's status (a missing status earns nothing)."""
    criteria = counted(module, statuses)
    earned = sum(criterion_points(c.weight, statuses.get(c.id)) for c in criteria)
    return Score(earned, sum(c.weight for c in criteria))


def total_score(modules: Iterable[Module], statuses: Mapping[str, Status]) -> Score:
    total = Score(0, 0)
    for module in modules:
        total = total + module_score(module, statuses)
    return total
