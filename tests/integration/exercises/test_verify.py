"""`lab exercise verify` for all six modules: every solution passes its module, every starter
fails it and breaks nothing else; among M6's criteria, M6.mutants: the solution's tests catch
every mutant, the starter's do not. One shared MLflow, CRM and Prometheus for all twelve
workspaces."""

from __future__ import annotations

import time

import pytest

from lab.exercises import verify

pytestmark = pytest.mark.integration


@pytest.mark.timeout(2400)  # twelve workspaces; about 13 min on a loaded 2-core machine
def test_every_exercise_verifies() -> None:
    started = time.monotonic()
    outcomes = verify.verify([], say=print)
    print(f"verify M1..M6: {time.monotonic() - started:.0f} s")
    for outcome in outcomes:
        print(outcome.module, f"{outcome.seconds:.0f} s", *outcome.notes, sep="\n  ")
    problems = {o.module: o.problems for o in outcomes if o.problems}
    assert problems == {}
    assert [o.module for o in outcomes] == ["M1", "M2", "M3", "M4", "M5", "M6"]
