"""M6 graded on this very project by `lab check -m M6`: the real test suite (pytest tests/unit
tests/property), the CI workflow and the Dockerfile. No lab processes needed, so it runs alone."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lab.acceptance import load_rubric
from tests.support import REPO, lab_env

pytestmark = pytest.mark.integration

MUTANTS = next(
    c.weight
    for m in load_rubric(REPO / "config" / "rubric.yml").modules
    for c in m.criteria
    if c.id == "M6.mutants"
)


@pytest.mark.timeout(900)
def test_the_test_suite_criterion_runs_the_real_suite(tmp_path):
    """A failure names the project's first failing tests."""
    env = lab_env(tmp_path, COLUMNS=300)
    done = subprocess.run(
        [sys.executable, "-m", "lab", "check", "-m", "M6", "--json", "-",
         "--badges", str(tmp_path / "b"), "--html", str(tmp_path / "r.html")],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=850,
    )  # fmt: skip
    result = json.loads(done.stdout)
    observed = {c["id"]: (c["status"], c["observed"]) for c in result["modules"][0]["criteria"]}
    assert {s for s, _ in observed.values()} == {"pass"}, observed
    # M6.mutants applies to exercise workspaces only: left out here, and of the maximum
    assert set(result["not_applicable"]) == {"M6.mutants"}
    assert done.returncode == 0 and result["points"] == result["max_points"] == 15 - MUTANTS
    assert " passed" in observed["M6.tests"][1]
