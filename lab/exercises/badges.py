"""Module badges by completion (anybadge SVG + shields.io endpoint JSON), as the course asks."""

from __future__ import annotations

from pathlib import Path

from lab.badges import BadgeSpec
from lab.exercises.progress import ModuleStatus

COLOURS = {"done": "#44cc11", "partial": "#dfb317", "todo": "#9f9f9f"}


def colour(status: ModuleStatus) -> str:
    if status.done:
        return COLOURS["done"]
    return COLOURS["partial"] if status.passed else COLOURS["todo"]


def write(folder: Path, status: ModuleStatus, title: str) -> Path:
    """`<folder>/exercise-M4.svg` and `.json`; returns the SVG's path."""
    label = f"{status.module} {title}"
    spec = BadgeSpec(f"exercise-{status.module}", label, status.label, colour(status))
    return spec.write(folder)[0]
