"""Module badges by completion (anybadge SVG + shields.io endpoint JSON), as the course asks."""

from __future__ import annotations

import json
from pathlib import Path

import anybadge

from lab.exercises.progress import ModuleStatus

COLOURS = {"done": "#44cc11", "partial": "#dfb317", "todo": "#9f9f9f"}


def colour(status: ModuleStatus) -> str:
    if status.done:
        return COLOURS["done"]
    return COLOURS["partial"] if status.passed else COLOURS["todo"]


def write(folder: Path, status: ModuleStatus, title: str) -> Path:
    """`<folder>/exercise-M4.svg` and `.json`; returns the SVG's path."""
    folder.mkdir(parents=True, exist_ok=True)
    label = f"{status.module} {title}"
    svg = folder / f"exercise-{status.module}.svg"
    anybadge.Badge(label=label, value=status.label, default_color=colour(status)).write_badge(
        str(svg), overwrite=True
    )
    endpoint = {"schemaVersion": 1, "label": label, "message": status.label,
                "color": colour(status).lstrip("#")}  # fmt: skip
    svg.with_suffix(".json").write_text(json.dumps(endpoint), encoding="utf-8")
    return svg
