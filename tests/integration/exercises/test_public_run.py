"""lab/exercises/public.py: the public tests of some modules run in a project, and what pytest
said comes back (exit code, summary line); a project without tests/public has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.exercises import public

pytestmark = pytest.mark.integration  # each case runs pytest in a fresh interpreter

TESTS = """
import pytest

@pytest.mark.M1
def test_one():
    pass

@pytest.mark.M2
def test_two():
    assert False, "M2 is not written yet"
"""


def project(tmp_path: Path) -> Path:
    folder = tmp_path / "tests" / "public"
    folder.mkdir(parents=True)
    (folder / "conftest.py").write_text(
        "def pytest_configure(config):\n"
        "    for m in ('M1', 'M2'):\n"
        "        config.addinivalue_line('markers', m + ': a module')\n"
    )
    (folder / "test_modules.py").write_text(TESTS)
    return tmp_path


def test_the_modules_asked_for_run_and_say_how_it_went(tmp_path: Path) -> None:
    root = project(tmp_path)
    one = public.run(root, ["M1"])
    assert one is not None and one.passed and one.summary.startswith("1 passed, 1 deselected")
    assert one.line() == (f"public tests (python -m pytest tests/public -m 'M1'): {one.summary}")
    both = public.run(root, ["M1", "M2"])
    assert both is not None and not both.passed and both.code == 1
    assert both.summary.startswith("1 failed, 1 passed")


def test_a_project_without_public_tests_has_none(tmp_path: Path) -> None:
    assert public.run(tmp_path, ["M1"]) is None


def test_the_modules_with_a_failed_test_are_named(tmp_path: Path) -> None:
    root = project(tmp_path)
    folder = root / "tests" / "public"
    (folder / "test_modules.py").unlink()
    (folder / "test_m1_env.py").write_text(
        "import pytest\n\n@pytest.mark.M1\ndef test_ok():\n    pass\n"
    )
    (folder / "test_m2_serving.py").write_text(
        "import pytest\n\n@pytest.mark.M2\ndef test_no():\n    assert False\n"
    )
    got = public.run(root, ["M1", "M2"])
    assert got is not None and got.failed == {"m2"} and got.code == 1
    one = public.run(root, ["M1"])
    assert one is not None and one.failed == frozenset() and one.passed
