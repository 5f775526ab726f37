"""The self-contained HTML report: scorecard, badges (inline), observations and hints."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, StrictUndefined

from lab.acceptance._report_template import TEMPLATE
from lab.acceptance.badges import badge_specs
from lab.acceptance.formats import verdict
from lab.acceptance.results import RunResult
from lab.files import write_atomic


def render_html(result: RunResult) -> str:
    """The report as one HTML document that loads nothing from elsewhere."""
    env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    badges = {spec.name: spec.data_uri() for spec in badge_specs(result)}
    said = verdict(result)
    if result.counts.get("fail") or result.counts.get("error"):
        said += ": see the hints below"
    return env.from_string(TEMPLATE).render(r=result, badges=badges, verdict=said)


def write_html(result: RunResult, path: Path) -> Path:
    write_atomic(path, render_html(result))
    return path
