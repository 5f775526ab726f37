"""Score badges: the total and each module of a `lab check` run (drawn by lab.badges)."""

from __future__ import annotations

from pathlib import Path

from lab.acceptance.results import RunResult
from lab.badges import BadgeSpec

__all__ = ["TOTAL", "BadgeSpec", "badge_specs", "write_badges"]

TOTAL = "total"


def badge_specs(result: RunResult) -> list[BadgeSpec]:
    """The total badge first, then one per module graded in `result`."""
    specs = [
        BadgeSpec(TOTAL, result.badge_label, f"{result.points}/{result.max_points}", result.color)
    ]
    for module in result.modules:
        specs.append(
            BadgeSpec(
                module.id,
                f"{module.id} {module.title.lower()}",
                f"{module.points}/{module.max_points}",
                module.color,
            )
        )
    return specs


def write_badges(result: RunResult, directory: Path) -> list[Path]:
    """Write NAME.svg and NAME.json for the total and each module; return the paths written."""
    return [path for spec in badge_specs(result) for path in spec.write(directory)]
