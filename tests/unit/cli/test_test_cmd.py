"""`lab test` as CI runs it: pytest with the lab's interpreter, `--seeds N` runs in N random
orders (pytest-randomly) and stops at the first failing one with the command that repeats it;
running no test is a failure."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO, lab_env

NAMES = [f"test_{i:02d}" for i in range(10)]


def _suite(folder: Path, failing: str | None = None) -> Path:
    """Ten tests that append their name to order.txt; `failing` fails."""
    folder.mkdir()
    body = ["from pathlib import Path", "ORDER = Path(__file__).with_name('order.txt')", ""]
    for name in NAMES:
        body += [
            f"def {name}():",
            "    with ORDER.open('a') as f:",
            f"        f.write('{name}\\n')",
            f"    assert {name != failing}",
            "",
        ]
    (folder / "test_suite.py").write_text("\n".join(body), encoding="utf-8")
    return folder


def _lab_test(folder: Path, *args: str, **env_values: str) -> subprocess.CompletedProcess:
    # Only pytest-randomly of the installed plugins: the others take seconds to import.
    env = lab_env(
        folder / "home",
        PYTEST_DISABLE_PLUGIN_AUTOLOAD=1,
        PYTEST_PLUGINS="pytest_randomly",
        **env_values,
    )
    command = [sys.executable, "-m", "lab", "test", "--jobs", "1", *args]
    return subprocess.run(
        [*command, "-p", "no:cacheprovider", str(folder)],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=240,
    )


def _runs(folder: Path) -> list[list[str]]:
    names = (folder / "order.txt").read_text(encoding="utf-8").split()
    return [names[i : i + len(NAMES)] for i in range(0, len(names), len(NAMES))]


def test_seeds_runs_the_tests_in_three_random_orders(tmp_path: Path) -> None:
    suite = _suite(tmp_path / "suite")
    done = _lab_test(suite, "--seeds", "3", PYTHONDONTWRITEBYTECODE="1")
    assert done.returncode == 0, done.stdout + done.stderr
    # the bytecode cache is on even where the shell turns it off: pytest's rewritten test
    # module is compiled once, then read again by the next runs and workers
    assert list((suite / "__pycache__").glob("test_suite.*pytest*.pyc")), done.stdout
    seeds = re.findall(r"run \d of 3 \([^)]*\), random order --randomly-seed=(\d+)", done.stderr)
    assert len(set(seeds)) == 3, done.stderr
    for seed in seeds:
        assert f"Using --randomly-seed={seed}" in done.stdout  # pytest-randomly took it
    runs = _runs(suite)
    assert len(runs) == 3 and all(sorted(run) == NAMES for run in runs)
    assert any(run != NAMES for run in runs)  # shuffled (all three in file order: 1 in 10!**3)


def test_a_failing_run_stops_the_seeds_and_says_how_to_repeat_it(tmp_path: Path) -> None:
    suite = _suite(tmp_path / "suite", failing="test_03")
    done = _lab_test(suite, "--seeds", "3")
    assert done.returncode == 1, done.stdout + done.stderr
    (seed,) = re.findall(r"run 1 of 3 failed; repeat it with: lab test --randomly-seed=(\d+) -p",
                         done.stderr)  # fmt: skip
    assert f"Using --randomly-seed={seed}" in done.stdout
    assert "run 2 of 3" not in done.stderr
    assert len(_runs(suite)) == 1

    again = _lab_test(suite, f"--randomly-seed={seed}")
    assert again.returncode == 1
    assert _runs(suite)[1] == _runs(suite)[0]  # the same order again


def test_no_test_collected_is_a_failure(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = _lab_test(empty)
    assert done.returncode == 1
    assert "pytest ran no test; that counts as a failure" in done.stderr


def test_seeds_refuses_a_seed_of_its_own(tmp_path: Path) -> None:
    suite = _suite(tmp_path / "suite")
    done = _lab_test(suite, "--seeds", "2", "--randomly-seed=4")
    assert done.returncode == 2
    assert "--seeds picks the seeds" in done.stderr
    assert not (suite / "order.txt").exists()


@pytest.mark.parametrize("env", ["unit", "integration", "e2e"])
def test_tox_and_so_ci_run_the_suites_through_lab_test(env: str) -> None:
    import configparser

    ini = configparser.ConfigParser(interpolation=None)
    ini.read(REPO / "tox.ini", encoding="utf-8")
    commands = ini[f"testenv:{env}"]["commands"].strip()
    assert commands.startswith("python -m lab test "), commands
    if env == "unit":
        assert "--seeds 3 tests/unit tests/property" in commands


def test_after_a_whole_suite_run_the_seeds_repeat_only_the_shuffled_suites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Integration and e2e keep their file order: a second seed would run them the same way."""
    from lab.testrun import _run_args

    for suite in ("tests/unit", "tests/property", "tests/integration"):
        (tmp_path / suite).mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert _run_args(1, ("-x",)) == ["-x"]
    assert _run_args(2, ("-x",)) == ["-x", "tests/unit", "tests/property"]
    asked = ("tests/integration", "-k", "crm")
    assert _run_args(3, asked) == list(asked)  # what was asked for, every time
    assert _run_args(2, ("tests/unit::test_x",)) == ["tests/unit::test_x"]


@pytest.mark.parametrize(("ci", "seeds"), [("true", 3), ("", 1), (None, 1)])
def test_ci_runs_three_seeds_by_default(
    ci: str | None, seeds: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lab.testrun import default_seeds as _default_seeds

    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    assert _default_seeds() == seeds


def test_an_order_of_ones_own_runs_once_in_ci_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from lab.testrun import default_seeds as _default_seeds

    monkeypatch.setenv("CI", "true")
    assert _default_seeds(("--randomly-seed=4",)) == 1
    assert _default_seeds(("-p", "no:randomly")) == 1


def test_whole_folders_run_on_two_workers_and_named_tests_on_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lab.testrun import _parallel
    from lab.testrun import workers as _jobs

    (tmp_path / "tests/unit").mkdir(parents=True)
    (tmp_path / "tests/unit/test_a.py").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CI", "true")
    assert _jobs(None, ()) == _jobs(None, ("tests/unit", "-x")) == 3  # CI: one more worker
    assert _jobs(None, ("tests/unit/test_a.py",)) == 1
    monkeypatch.delenv("CI")
    assert _jobs(None, ()) == _jobs(None, ("tests/unit", "-x")) == 2
    assert _jobs(None, ("tests/unit/test_a.py",)) == _jobs(None, ("tests/unit::t",)) == 1
    assert _jobs(3, ("tests/unit/test_a.py",)) == 3
    # whole files, in the suite's order (tests/conftest.py: the slowest first)
    assert _parallel(["-x"], 2) == ["-n", "2", "--dist", "loadfile", "--no-loadscope-reorder"]
    assert _parallel(["-x"], 1) == []
    assert _parallel(["-n", "4"], 2) == _parallel(["--dist=load"], 2) == []  # asked by hand


def test_an_xdist_older_than_3_8_gets_no_reorder_option(monkeypatch: pytest.MonkeyPatch) -> None:
    from lab import testrun

    monkeypatch.setattr(testrun.importlib.metadata, "version", lambda name: "3.6.1")
    assert testrun._parallel(["-x"], 2) == ["-n", "2", "--dist", "loadfile"]
