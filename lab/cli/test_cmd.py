"""`lab test`: run the project's test suite (pytest) with the lab's own interpreter."""

from __future__ import annotations

import sys

import click
from rich.markup import escape

from lab.cli._common import LabError
from lab.testrun import CI_JOBS, DEFAULT_JOBS


@click.command("test", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option(
    "--seeds",
    default=None,
    type=click.IntRange(1, 20),
    help="Run the tests this many times, each in a different random order (pytest-randomly); "
    "the unit and property tests are shuffled, integration and e2e keep their file order, so "
    "after a first run of the whole suite the others repeat only tests/unit and tests/property. "
    "[default: 3 when CI=true, else 1]",
)
@click.option(
    "--jobs",
    default=None,
    type=click.IntRange(1, 32),
    help="Test files run on this many workers at once (pytest-xdist; 1: none). "
    f"[default: {DEFAULT_JOBS} for whole folders ({CI_JOBS} when CI=true), 1 for the files or "
    "tests named]",
)
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def test(seeds: int | None, jobs: int | None, pytest_args: tuple[str, ...]) -> None:
    """Run the tests: unit, property, integration (real processes) and e2e (Chromium).

    Extra arguments go to pytest, e.g. `lab test tests/unit -x`. Running no test is a failure.
    With pytest-randomly installed (the test extras) the unit and property tests run in a
    random order whose seed pytest prints; `--seeds 3` (the default in CI, CI=true) runs them
    in three orders, stopping at the first failing run with the command that repeats it.
    Whole folders run on two workers (three in CI; `--jobs`), each taking whole test files.
    """
    from lab import testrun

    try:
        code = testrun.run(seeds, jobs, pytest_args)
    except testrun.TestRunError as exc:
        if exc.usage:
            raise click.UsageError(str(exc)) from None
        raise LabError(escape(str(exc))) from None  # [test] is no markup
    sys.exit(code)
