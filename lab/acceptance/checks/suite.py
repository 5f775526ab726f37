"""The test-suite criterion: the project's own tests pass (pytest in a fresh process)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pydantic import Field

from lab.acceptance.checks._base import (
    CheckContext,
    CheckError,
    CheckFailed,
    CheckSkipped,
    Lane,
    Params,
    Schedule,
    short,
)
from lab.acceptance.checks._junit import graded_suite
from lab.acceptance.checks._learner import run_project
from lab.acceptance.checks.kinds import CHECK_KINDS

NO_TESTS_COLLECTED = 5
_SUMMARY = re.compile(r"^=*\s*(\d+ (passed|failed|error|errors|skipped).*?)\s*=*$")


class SuiteParams(Params):
    schedule = Schedule(Lane.ISOLATED, timeout=1800.0)
    #: the first of these that exist are run (tests/ when none does)
    paths: list[str] = Field(default_factory=lambda: ["tests/unit", "tests/property"], min_length=1)
    select: str = "not integration and not e2e"


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


def test_command(params: SuiteParams, ctx: CheckContext) -> tuple[list[str], str]:
    """(the command that runs the project's tests, where it came from)."""
    ws = ctx.workspace
    command = ws.command("test") if ws is not None else None
    if command:
        command = list(command)
        if Path(command[0]).name in ("python", "python3", "py"):
            command[0] = str(ctx.interpreter())
        return command, "workspace.toml [commands] test"
    paths = [p for p in params.paths if ctx.project_file(p).exists()] or ["tests"]
    if not ctx.project_file(paths[0]).exists():
        raise CheckFailed(
            f"no tests in {ctx.project_dir} (looked for {', '.join(params.paths)}, tests)"
        )
    return [str(ctx.interpreter()), "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "-m", params.select, *paths], f"pytest {' '.join(paths)}"  # fmt: skip


@CHECK_KINDS.kind("test_suite", SuiteParams)
def suite_passes(params: SuiteParams, ctx: CheckContext) -> str:
    """The project's tests pass in its own interpreter (skipped with --no-tests)."""
    if not ctx.run_tests:
        raise CheckSkipped("skipped with --no-tests")
    if ctx.sandbox is not None:  # `lab grade`: the grader's own pytest command, in the sandbox
        return graded_suite(params.paths, params.select, ctx)
    cmd, source = test_command(params, ctx)
    try:
        done = run_project(ctx, cmd, env={"PYTHONUNBUFFERED": "1"}, timeout=ctx.timeout)
    except FileNotFoundError:
        raise CheckFailed(f"cannot run {cmd[0]} ({source})") from None
    except subprocess.TimeoutExpired:
        raise CheckError(f"the tests did not finish within {ctx.timeout:g} s") from None
    summary = summary_line(done.stdout + done.stderr)
    if done.returncode == NO_TESTS_COLLECTED:
        raise CheckFailed(f"{source} collected no tests")
    if done.returncode != 0:
        first = failures(done.stdout)
        shown = f"; first: {', '.join(first)}" if first else ""
        raise CheckFailed(f"{source}: exit code {done.returncode}: {short(summary, 100)}{shown}")
    return f"{source}: {summary}"
