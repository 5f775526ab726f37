"""`lab test`: run the project's test suite (pytest) with the lab's own interpreter."""

from __future__ import annotations

import importlib.util
import random
import shlex
import subprocess
import sys

import click

from lab.cli._common import LabError

NO_TESTS_COLLECTED = 5
#: Seeds are drawn from here; pytest-randomly accepts any non-negative integer.
_SEED_RANGE = (1, 2**31 - 1)


def _pytest(args: list[str]) -> int:
    code = subprocess.call([sys.executable, "-m", "pytest", *args])
    if code == NO_TESTS_COLLECTED:
        click.echo("lab test: pytest ran no test; that counts as a failure", err=True)
        return 1
    return code


def _seeded_runs(seeds: int, pytest_args: tuple[str, ...]) -> int:
    """Run pytest `seeds` times, each in the random order of its own seed (pytest-randomly);
    stop at the first failing run and say how to repeat it."""
    if importlib.util.find_spec("pytest_randomly") is None:
        raise LabError("--seeds needs pytest-randomly: pip install -e '.[test]' (bin/lab does it)")
    if any(a.startswith("--randomly-seed") or a.endswith("no:randomly") for a in pytest_args):
        raise click.UsageError("--seeds picks the seeds: leave out --randomly-seed and no:randomly")
    drawn = random.SystemRandom().sample(range(*_SEED_RANGE), seeds)
    for n, seed in enumerate(drawn, 1):
        order = [f"--randomly-seed={seed}"]
        click.echo(f"lab test: run {n} of {seeds}, random order --randomly-seed={seed}", err=True)
        code = _pytest([*order, *pytest_args])
        if code != 0:
            again = shlex.join(["lab", "test", *order, *pytest_args])
            click.echo(f"lab test: run {n} of {seeds} failed; repeat it with: {again}", err=True)
            return code
    return 0


@click.command("test", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option(
    "--seeds",
    default=1,
    show_default=True,
    type=click.IntRange(1, 20),
    help="Run the tests this many times, each in a different random order (pytest-randomly); "
    "the unit and property tests are shuffled, integration and e2e keep their file order.",
)
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def test(seeds: int, pytest_args: tuple[str, ...]) -> None:
    """Run the tests: unit, property, integration (real processes) and e2e (Chromium).

    Extra arguments go to pytest, e.g. `lab test tests/unit -x`. Running no test is a failure.
    With pytest-randomly installed (the test extras) the unit and property tests run in a
    random order whose seed pytest prints; `--seeds 3` runs them three times in three orders
    (what CI does), stopping at the first failing run with the command that repeats it.
    """
    if importlib.util.find_spec("pytest") is None:
        raise LabError("pytest is missing: pip install -e '.[test]' (bin/lab does it)")
    if seeds == 1:
        sys.exit(_pytest(list(pytest_args)))
    sys.exit(_seeded_runs(seeds, pytest_args))


def register(group: click.Group) -> None:
    group.add_command(test)
