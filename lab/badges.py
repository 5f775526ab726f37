"""A badge, drawn offline: an SVG (anybadge) and, beside it, shields.io endpoint JSON.

The one writer of badges: `lab check`'s scores (lab.acceptance.badges) and the exercises' module
badges (lab.exercises.badges) say what a badge shows; this module draws and writes it, each file
atomically (a reader never sees half a badge).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import anybadge

from lab.files import write_atomic

__all__ = ["BadgeSpec"]


@dataclass(frozen=True)
class BadgeSpec:
    name: str  # file stem: "total", "M1", "exercise-M4"...
    label: str
    message: str
    color: str  # "#rrggbb"

    def svg(self) -> str:
        badge = anybadge.Badge(self.label, self.message, default_color=self.color)
        return str(badge.badge_svg_text)

    def data_uri(self) -> str:
        """The SVG as a `data:` URI, for a report that needs no other file."""
        encoded = base64.b64encode(self.svg().encode("utf-8")).decode("ascii")
        return f"data:image/svg+xml;base64,{encoded}"

    def endpoint_json(self) -> dict[str, object]:
        """https://shields.io/badges/endpoint-badge: serve this file and point shields at it."""
        return {
            "schemaVersion": 1,
            "label": self.label,
            "message": self.message,
            "color": self.color.lstrip("#"),
        }

    def write(self, folder: Path) -> tuple[Path, Path]:
        """`<folder>/<name>.svg` and `.json`, each written atomically; their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        svg_path, json_path = folder / f"{self.name}.svg", folder / f"{self.name}.json"
        write_atomic(svg_path, self.svg())
        text = json.dumps(self.endpoint_json(), ensure_ascii=False, indent=2) + "\n"
        write_atomic(json_path, text)
        return svg_path, json_path
