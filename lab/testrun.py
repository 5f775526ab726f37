"""Running the project's test suite (pytest) with the lab's own interpreter, as `lab test` does:
the test tools installed on first use, whole folders on several workers, CI's seeded orders."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import random
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


class TestRunError(RuntimeError):
    """`lab test` cannot run as asked; the message says what to do (`usage`: a wrong option)."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


NO_TESTS_COLLECTED = 5
#: Seeds are drawn from here; pytest-randomly accepts any non-negative integer.
_SEED_RANGE = (1, 2**31 - 1)


#: Modules of the `test` extras (pyproject.toml); installed by the first `lab test`, so a
#: learner's first `bin/lab up` does not wait for (or store) playwright and the other tools.
TEST_MODULES = (
    "pytest", "pytest_timeout", "pytest_randomly", "xdist", "hypothesis", "respx", "playwright",
    "ruff", "mypy", "importlinter",  # tests/static
)  # fmt: skip
#: Workers for a run of many test files: two keep an 8 GB laptop comfortable (an integration
#: test file runs its own MLflow, API, CRM and Prometheus).
DEFAULT_JOBS = 2
#: In CI (CI=true) one more: a CI machine has the memory, and the suite waits on processes
#: and Prometheus scrapes often enough that two workers leave a 2-core machine idle about a
#: fifth of the time (measured here: the three runs took 10 min 40 s instead of 11 min 30 s).
CI_JOBS = 3


def ensure_test_extras() -> None:
    missing = [m for m in TEST_MODULES if importlib.util.find_spec(m) is None]
    if not missing:
        return
    root = Path(__file__).resolve().parents[1]
    target = f"{root}[test]" if (root / "pyproject.toml").is_file() else "mlops-lab[test]"
    where = Path(sys.prefix)
    say(
        f"lab test: installing the test tools ({', '.join(missing)}, ...) into {where} "
        "(first `lab test` only; a few minutes)"
    )
    editable = ["-e"] if target.startswith(str(root)) else []
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if subprocess.call([*pip, *editable, target]) != 0:
        by_hand = f"pip install {' '.join(editable)} '{target}'"
        raise TestRunError(f"installing the test tools failed; run it by hand: {by_hand}")
    importlib.invalidate_caches()


def _parallel(args: list[str], jobs: int) -> list[str]:
    """pytest-xdist's options for `jobs` workers, each taking whole files (a file's fixtures,
    e.g. its lab stack, start once) in the order the suite's conftest gives them (slowest
    first; xdist's own reorder would sort files by their number of tests and send a long file
    of one test out last); none for one job or when asked for by hand."""
    if jobs <= 1 or any(a.startswith(("-n", "--numprocesses", "--dist")) for a in args):
        return []
    if importlib.util.find_spec("xdist") is None:
        say("lab test: pytest-xdist is not installed; running on one worker")
        return []
    keep_order = ["--no-loadscope-reorder"] if _xdist_at_least(3, 8) else []  # xdist 3.8+
    return ["-n", str(jobs), "--dist", "loadfile", *keep_order]


def _xdist_at_least(major: int, minor: int) -> bool:
    """The installed pytest-xdist is this version or newer (an older one installed before the
    test extras asked for 3.8 does not know --no-loadscope-reorder)."""
    try:
        found = importlib.metadata.version("pytest-xdist").split(".")[:2]
        return tuple(int(part) for part in found) >= (major, minor)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False


def _environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """pytest's environment: the caller's, with Python's bytecode cache on (`__pycache__`,
    git-ignored). The suite starts a few hundred Python processes; with PYTHONDONTWRITEBYTECODE
    set (many container images set it) each of them compiles the lab again, and pytest
    rewrites every test module's asserts again in each run and worker."""
    return {k: v for k, v in environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def pytest_run(args: list[str], jobs: int = 1) -> int:
    code = subprocess.call(
        [sys.executable, "-m", "pytest", *_parallel(args, jobs), *args], env=_environment()
    )
    if code == NO_TESTS_COLLECTED:
        say("lab test: pytest ran no test; that counts as a failure")
        return 1
    return code


#: The suites pytest-randomly shuffles (tests/conftest.py keeps the others in file order):
#: when the whole suite runs, the runs after the first repeat only these, in new orders.
SHUFFLED_SUITES = ("tests/unit", "tests/property")


def _names_tests(arg: str) -> bool:
    """The argument names tests (a path, or path::test) rather than being an option."""
    return not arg.startswith("-") and Path(arg.split("::", 1)[0]).exists()


def _run_args(n: int, pytest_args: tuple[str, ...]) -> list[str]:
    """What run `n` (1-based) passes pytest: the first runs what was asked; later ones, when
    the whole suite was asked, only the shuffled suites (the rest would keep its order)."""
    if n == 1 or any(_names_tests(a) for a in pytest_args):
        return list(pytest_args)
    return [*pytest_args, *(s for s in SHUFFLED_SUITES if Path(s).is_dir())]


def seeded_runs(seeds: int, pytest_args: tuple[str, ...], jobs: int | None) -> int:
    """Run pytest `seeds` times, each in the random order of its own seed (pytest-randomly);
    stop at the first failing run and say how to repeat it."""
    if importlib.util.find_spec("pytest_randomly") is None:
        raise TestRunError(
            "--seeds needs pytest-randomly: pip install -e '.[test]' (bin/lab does it)"
        )
    if _own_order(pytest_args):
        raise TestRunError(
            "--seeds picks the seeds: leave out --randomly-seed and no:randomly", usage=True
        )
    drawn = random.SystemRandom().sample(range(*_SEED_RANGE), seeds)
    for n, seed in enumerate(drawn, 1):
        order = [f"--randomly-seed={seed}"]
        args = _run_args(n, pytest_args)
        what = " ".join(a for a in args if _names_tests(a)) or "every suite"
        say(f"lab test: run {n} of {seeds} ({what}), random order --randomly-seed={seed}")
        code = pytest_run([*order, *args], workers(jobs, args))
        if code != 0:
            again = shlex.join(["lab", "test", *order, *args])
            say(f"lab test: run {n} of {seeds} failed; repeat it with: {again}")
            return code
    return 0


def _own_order(pytest_args: tuple[str, ...]) -> bool:
    return any(a.startswith("--randomly-seed") or a.endswith("no:randomly") for a in pytest_args)


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def workers(asked: int | None, args: list[str] | tuple[str, ...]) -> int:
    """`--jobs`, else two workers (three in CI) for whole suites, one for tests named by hand."""
    if asked is not None:
        return asked
    named = [a for a in args if _names_tests(a)]
    whole = not named or all(Path(a).is_dir() and "::" not in a for a in named)
    return (CI_JOBS if _ci() else DEFAULT_JOBS) if whole else 1


def default_seeds(pytest_args: tuple[str, ...] = ()) -> int:
    """CI (CI=true) checks the shuffled suites in three random orders, unless an order was
    asked for (`--randomly-seed=N`, `-p no:randomly`); a learner runs once."""
    return 3 if _ci() and not _own_order(pytest_args) else 1


def run(seeds: int | None, jobs: int | None, pytest_args: tuple[str, ...]) -> int:
    """`lab test`: install the test tools if missing, then pytest once, or in `seeds` orders."""
    ensure_test_extras()
    seeds = seeds or default_seeds(pytest_args)
    if seeds == 1:
        return pytest_run(list(pytest_args), workers(jobs, pytest_args))
    return seeded_runs(seeds, pytest_args, jobs)
