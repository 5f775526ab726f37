"""The test-suite criterion: the project's own tests pass (pytest in a fresh process)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from pydantic import Field

from lab.acceptance.checks._base import CheckContext, CheckFailed, CheckSkipped, Params, short
from lab.acceptance.checks.kinds import CHECK_KINDS

NO_TESTS_COLLECTED = 5
_SUMMARY = re.compile(r"^=*\s*(\d+ (passed|failed|error|errors|skipped).*?)\s*=*$")


class SuiteParams(Params):
    default_timeout = 1800.0
    paths: list[str] = Field(default_factory=lambda: ["tests/unit", "tests/property"], min_length=1)


def summary_line(output: str) -> str:
    """pytest's last summary line ("12 passed, 1 skipped in 3.2s"), else the last line."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        match = _SUMMARY.match(line)
        if match:
            return match.group(1)
    return lines[-1] if lines else "(no output)"


def failures(output: str, most: int = 3) -> list[str]:
    """The first failing test ids of pytest's short summary (`FAILED path::test - why`)."""
    _, marker, summary = output.rpartition("short test summary info")
    found = []
    for line in summary.splitlines() if marker else []:
        if line.startswith(("FAILED ", "ERROR ")):
            found.append(line.split(" ", 1)[1].split(" - ", 1)[0].strip())
    return found[:most]


@CHECK_KINDS.kind("test_suite", SuiteParams)
def suite_passes(params: SuiteParams, ctx: CheckContext) -> str:
    """`python -m pytest -q PATHS` passes in the project folder (skipped with --no-tests)."""
    if not ctx.run_tests:
        raise CheckSkipped("skipped with --no-tests")
    missing = [p for p in params.paths if not ctx.project_file(p).exists()]
    if missing:
        raise CheckFailed(f"no {', '.join(missing)} in {ctx.project_dir}")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *params.paths]
    try:
        done = subprocess.run(
            cmd, cwd=ctx.project_dir, env=env, capture_output=True, text=True, timeout=ctx.timeout
        )
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"the tests did not finish within {ctx.timeout:g} s") from None
    summary = summary_line(done.stdout + done.stderr)
    if done.returncode == NO_TESTS_COLLECTED:
        raise CheckFailed(f"pytest collected no tests in {', '.join(params.paths)}")
    if done.returncode != 0:
        first = failures(done.stdout)
        shown = f"; first: {', '.join(first)}" if first else ""
        raise CheckFailed(f"pytest exit code {done.returncode}: {short(summary, 100)}{shown}")
    return f"pytest {' '.join(params.paths)}: {summary}"
