"""Points follow effort: a criterion's weight follows the size of the learner's part it grades."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from lab.acceptance import load_rubric
from lab.acceptance.rubric import counted
from lab.exercises import source

SHIPPED = Path(__file__).resolve().parents[3] / "config" / "rubric.yml"
#: the stated range: points per non-blank line of the criterion's own solution regions
PER_LINE = (0.2, 1.0)
#: a criterion with no region of its own (a step, or graded through other parts) is worth at most
UNMARKED_MOST = 2


def lines_per_criterion(files: dict[str, str] | None = None) -> Counter[str]:
    found: Counter[str] = Counter()
    for region in source.all_regions(files):
        found[region.criterion] += sum(1 for line in region.code if line.strip())
    return found


@pytest.fixture(scope="module")
def weights() -> dict[str, int]:
    rubric = load_rubric(SHIPPED)
    return {c.id: c.weight for m in rubric.modules for c in m.criteria}


def test_the_points_still_add_up_to_100(weights):
    rubric = load_rubric(SHIPPED)  # a fallback (fallback_for) replaces a criterion, adds none
    assert sum(weights[c.id] for m in rubric.modules for c in counted(m)) == 100


def test_points_per_solution_line_stay_within_the_stated_range(weights):
    lines = lines_per_criterion()
    out = {
        cid: f"{weights[cid]} points / {n} lines" for cid, n in lines.items()
        if not PER_LINE[0] <= weights[cid] / n <= PER_LINE[1]
    }  # fmt: skip
    assert not out, f"outside {PER_LINE} points per line: {out}"


def test_a_criterion_without_a_region_of_its_own_is_worth_little(weights):
    lines = lines_per_criterion()
    heavy = {cid: w for cid, w in weights.items() if cid not in lines and w > UNMARKED_MOST}
    assert not heavy


def test_the_bound_catches_a_one_line_part_worth_five_points():
    files = {"Dockerfile": "# BEGIN SOLUTION M2.container: x\nUSER 1\n# END SOLUTION\n"}
    assert 5 / lines_per_criterion(files)["M2.container"] > PER_LINE[1]


def test_every_region_names_a_criterion_of_the_rubric(weights):
    assert set(lines_per_criterion()) <= set(weights)
