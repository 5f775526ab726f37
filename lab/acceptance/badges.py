"""Score badges: SVG files drawn offline by anybadge, and shields.io endpoint JSON beside them."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import anybadge

from lab.acceptance.results import RunResult
from lab.files import write_atomic

TOTAL = "total"


@dataclass(frozen=True)
class BadgeSpec:
    name: str  # file stem: "total", "M1", ...
    label: str
    message: str
    color: str  # "#rrggbb"

    def svg(self) -> str:
        badge = anybadge.Badge(self.label, self.message, default_color=self.color)
        return badge.badge_svg_text

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
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for spec in badge_specs(result):
        svg_path = directory / f"{spec.name}.svg"
        json_path = directory / f"{spec.name}.json"
        write_atomic(svg_path, spec.svg())
        write_atomic(
            json_path, json.dumps(spec.endpoint_json(), ensure_ascii=False, indent=2) + "\n"
        )
        written += [svg_path, json_path]
    return written
