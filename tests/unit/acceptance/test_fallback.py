"""A fallback criterion (`fallback_for`): graded, in the place and for the weight of its
primary, only when the primary was skipped; else left out, so the primary keeps its meaning."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.acceptance import RubricError, load_rubric, run_rubric
from lab.acceptance.checks import CheckSkipped, Params
from lab.acceptance.checks._base import CheckKinds
from lab.acceptance.rubric import Criterion, Module
from tests.unit.acceptance.test_rubric import SHIPPED, shipped_with


def _rubric(primary: str) -> tuple[object, CheckKinds]:
    registry = CheckKinds()

    @registry.kind("grafana_like")
    def grafana_like(_params: Params, _ctx) -> str:
        if primary == "absent":
            raise CheckSkipped("Grafana is not running at http://127.0.0.1:3000")
        return "dashboard served"

    @registry.kind("page_like")
    def page_like(_params: Params, _ctx) -> str:
        return "panels drawn"

    @registry.kind("other")
    def other(_params: Params, _ctx) -> str:
        return "ok"

    def crit(cid: str, kind: str, weight: int, fallback_for: str | None = None) -> Criterion:
        return Criterion(id=cid, title=cid, title_zh_tw=cid, weight=weight, check={"kind": kind},
                         hint="h", fallback_for=fallback_for)  # fmt: skip

    module = Module(id="M5", title="m", title_zh_tw="m", points=3, criteria=[
        crit("M5.other", "other", 1), crit("M5.grafana", "grafana_like", 2),
        crit("M5.dashboard_seen", "page_like", 2, "M5.grafana"),
    ])  # fmt: skip
    rubric = load_rubric(SHIPPED).model_copy(update={"modules": [module]})
    return rubric, registry


@pytest.mark.parametrize(("grafana", "graded", "left_out"), [
    ("absent", "M5.dashboard_seen", "M5.grafana"),
    ("running", "M5.grafana", "M5.dashboard_seen"),
])  # fmt: skip
def test_only_one_of_a_fallback_and_its_primary_is_graded(make_ctx, grafana, graded, left_out):
    rubric, registry = _rubric(grafana)
    result = run_rubric(rubric, make_ctx(), kinds=registry)
    ids = [c.id for c in result.criteria()]
    assert ids == ["M5.other", graded]
    assert (result.points, result.max_points) == (3, 3)
    assert left_out in result.not_applicable
    if grafana == "absent":
        assert "Grafana is not running" in result.not_applicable[left_out]
        assert "fallback" in result.not_applicable[left_out]


def test_the_shipped_rubric_marks_dashboard_seen_as_grafanas_fallback() -> None:
    m5 = load_rubric(SHIPPED).module("M5")
    seen = next(c for c in m5.criteria if c.id == "M5.dashboard_seen")
    grafana = next(c for c in m5.criteria if c.id == "M5.grafana")
    assert seen.fallback_for == "M5.grafana" and seen.kind == "home_dashboard"
    assert seen.weight == grafana.weight and grafana.fallback_for is None
    assert sum(c.weight for c in m5.criteria if c.fallback_for is None) == m5.points


def test_a_fallback_of_another_weight_is_a_rubric_error(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    block = text[text.index("- id: M5.dashboard_seen") :]
    old = block[: block.index("fallback_for")]
    path = shipped_with(tmp_path, old, old.replace("weight: 1", "weight: 3"))
    with pytest.raises(RubricError, match=r"a fallback has the weight of M5\.grafana"):
        load_rubric(path)


def test_a_fallback_for_an_unknown_criterion_is_a_rubric_error(tmp_path: Path) -> None:
    path = shipped_with(tmp_path, "fallback_for: M5.grafana", "fallback_for: M5.grafanna")
    with pytest.raises(RubricError, match=r"fallback_for must name another criterion of M5"):
        load_rubric(path)
