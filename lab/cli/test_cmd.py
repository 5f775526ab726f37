"""`lab test`: run the project's test suite (pytest) with the lab's own interpreter."""

from __future__ import annotations

import subprocess
import sys

import click

from lab.cli._common import LabError

NO_TESTS_COLLECTED = 5


@click.command("test", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def test(pytest_args: tuple[str, ...]) -> None:
    """Run the tests: unit, property, integration (real processes) and e2e (Chromium).

    Extra arguments go to pytest, e.g. `lab test tests/unit -x`. Running no test is a failure.
    """
    try:
        import pytest  # noqa: F401
    except ImportError:
        raise LabError("pytest is missing: pip install -e '.[test]' (bin/lab does it)") from None
    code = subprocess.call([sys.executable, "-m", "pytest", *pytest_args])
    if code == NO_TESTS_COLLECTED:
        click.echo("lab test: pytest ran no test; that counts as a failure", err=True)
        sys.exit(1)
    sys.exit(code)


def register(group: click.Group) -> None:
    group.add_command(test)
