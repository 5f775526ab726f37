"""M6 graded on this very project by `lab check -m M6`: its real tests (a part of them, see
_rubric_running), the CI workflow and the Dockerfile. No lab processes needed, so it runs alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lab.acceptance import load_rubric
from tests.support import REPO, lab_env

pytestmark = pytest.mark.integration

M6 = next(m for m in load_rubric(REPO / "config" / "rubric.yml").modules if m.id == "M6")
MUTANTS = next(c.weight for c in M6.criteria if c.id == "M6.mutants")


def _rubric_running(paths: list[str], folder: Path) -> Path:
    """The shipped rubric, with M6.tests running only `paths` of the project's tests: the whole
    unit and property suites already run three times in CI (`lab test`, CI=true); here the
    criterion's own path (the project's interpreter, pytest's summary) is what is graded."""
    rubric = yaml.safe_load((REPO / "config" / "rubric.yml").read_text(encoding="utf-8"))
    for module in rubric["modules"]:
        for criterion in module["criteria"]:
            if criterion["id"] == "M6.tests":
                criterion["check"]["paths"] = paths
    path = folder / "rubric.yml"
    path.write_text(yaml.safe_dump(rubric, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.timeout(900)
def test_the_test_suite_criterion_runs_the_real_suite(tmp_path):
    """`lab check -m M6` on this very project: its real tests run in its interpreter."""
    env = lab_env(tmp_path, COLUMNS=300)
    rubric = _rubric_running(["tests/unit/acceptance/test_rubric.py"], tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "lab", "check", "-m", "M6", "--json", "-", "--rubric", str(rubric),
         "--badges", str(tmp_path / "b"), "--html", str(tmp_path / "r.html")],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=850,
    )  # fmt: skip
    result = json.loads(done.stdout)
    observed = {c["id"]: (c["status"], c["observed"]) for c in result["modules"][0]["criteria"]}
    assert {s for s, _ in observed.values()} == {"pass"}, observed
    # M6.mutants applies to exercise workspaces only: left out here, and of the maximum
    assert set(result["not_applicable"]) == {"M6.mutants"}
    assert done.returncode == 0 and result["points"] == result["max_points"] == M6.points - MUTANTS
    assert " passed" in observed["M6.tests"][1]
    ran = int(observed["M6.tests"][1].split(" passed")[0].split()[-1])
    assert ran >= 10, observed["M6.tests"]  # the rubric's unit tests, all of them
