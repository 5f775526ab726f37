"""Acceptance: the rubric of live, black-box checks that `lab check` runs, scores and reports."""

from lab.acceptance.badges import badge_specs, write_badges
from lab.acceptance.checks import CHECK_KINDS, CheckContext, Status, Targets
from lab.acceptance.report import render_html, write_html
from lab.acceptance.results import CriterionResult, ModuleResult, RunResult
from lab.acceptance.rubric import Rubric, RubricError, load_rubric
from lab.acceptance.runner import Events, run_rubric
from lab.acceptance.scoring import Score, module_score, total_score

__all__ = [
    "CHECK_KINDS",
    "CheckContext",
    "CriterionResult",
    "Events",
    "ModuleResult",
    "Rubric",
    "RubricError",
    "RunResult",
    "Score",
    "Status",
    "Targets",
    "badge_specs",
    "load_rubric",
    "module_score",
    "render_html",
    "run_rubric",
    "total_score",
    "write_badges",
    "write_html",
]
