"""The self-contained HTML report: scorecard, badges (inline), observations and hints."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, StrictUndefined

from lab.acceptance._report_template import TEMPLATE
from lab.acceptance.badges import badge_specs
from lab.acceptance.results import RunResult
from lab.files import write_atomic


def render_html(result: RunResult) -> str:
    """The report as one HTML document that loads nothing from elsewhere."""
    env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    badges = {spec.name: spec.data_uri() for spec in badge_specs(result)}
    return env.from_string(TEMPLATE).render(r=result, badges=badges)


def write_html(result: RunResult, path: Path) -> Path:
    write_atomic(path, render_html(result))
    return path
