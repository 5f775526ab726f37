"""A fallback criterion (`fallback_for` in the rubric) and the criterion it stands in for: only
one of the two is graded. When the primary was skipped (its service is absent: Grafana cannot
be installed here), it is left out and the fallback counts; else the fallback is left out, so
the primary keeps its meaning where its service runs. Left out = not graded, nor counted."""

from __future__ import annotations

from lab.acceptance.results import CriterionResult
from lab.acceptance.rubric import Module

SKIPPED = "skip"


def resolve(
    module: Module, results: list[CriterionResult]
) -> tuple[Module, list[CriterionResult], dict[str, str]]:
    """`module` and `results` without the criteria left out, and why each was (id -> why)."""
    by_id = {r.id: r for r in results}
    left_out: dict[str, str] = {}
    for crit in module.criteria:
        primary = by_id.get(crit.fallback_for or "")
        if crit.id not in by_id or primary is None:
            continue  # a fallback whose primary is not in this run counts on its own
        if primary.status == SKIPPED:
            left_out[primary.id] = f"{primary.observed} — {crit.id} grades it instead (fallback)"
        else:
            left_out[crit.id] = f"the fallback of {primary.id}, which was graded ({primary.status})"
    if not left_out:
        return module, results, {}
    kept = [c for c in module.criteria if c.id not in left_out]
    return (
        module.model_copy(update={"criteria": kept}),
        [r for r in results if r.id not in left_out],
        left_out,
    )
