"""M6.tests as `lab grade` runs it: the grader's own pytest command, read from a JUnit file.

A learner's `[commands] test` is for `lab check` on their machine; a grade needs more than an
exit code (`echo 3 passed` exits 0). The grader runs `python -m pytest` with the learner's
interpreter in the sandbox, writing a JUnit report into a folder of the grader's that is new for
this run, and passes only when the report holds at least one test and none failed or errored.
"""

from __future__ import annotations

import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from lab.acceptance.checks._base import CheckContext, CheckError, CheckFailed, short
from lab.acceptance.checks._learner import run_project

#: A report larger than this is not read (a learner's conftest may write anything there).
MOST_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Counts:
    tests: int
    failures: int
    errors: int
    skipped: int

    @property
    def ran(self) -> int:
        return self.tests - self.skipped


def read_junit(path: Path) -> Counts:
    """The totals of a pytest JUnit report; CheckFailed when there is none or it is not one."""
    if not path.is_file():
        raise CheckFailed("pytest wrote no JUnit report (did the tests run at all?)")
    if path.stat().st_size > MOST_BYTES:
        raise CheckFailed(f"the JUnit report is larger than {MOST_BYTES // 2**20} MiB")
    try:
        root = ET.parse(path).getroot()  # expat >= 2.4 limits entity expansion
    except ET.ParseError as exc:
        raise CheckFailed(f"the JUnit report is not valid XML: {exc}") from None
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    if not suites:
        raise CheckFailed("the JUnit report holds no test suite")
    total = [0, 0, 0, 0]
    for suite in suites:
        for i, key in enumerate(("tests", "failures", "errors", "skipped")):
            try:
                total[i] += int(suite.get(key, "0"))
            except ValueError:
                raise CheckFailed(f"the JUnit report's {key} is not a number") from None
    return Counts(*total)


def graded_suite(paths: list[str], select: str, ctx: CheckContext) -> str:
    """Run the project's tests with the grader's command; pass on >= 1 test, all passing."""
    found = [p for p in paths if ctx.project_file(p).exists()] or ["tests"]
    if not ctx.project_file(found[0]).exists():
        raise CheckFailed(f"no tests in {ctx.project_dir} (looked for {', '.join(paths)}, tests)")
    with tempfile.TemporaryDirectory(prefix="lab-grade-junit-") as folder:
        report = Path(folder) / "junit.xml"
        cmd = [str(ctx.interpreter()), "-m", "pytest", "-q", "-p", "no:cacheprovider",
               f"--junitxml={report}", "-m", select, *found]  # fmt: skip
        try:
            done = run_project(ctx, cmd, timeout=ctx.timeout, writable=[Path(folder)])
        except subprocess.TimeoutExpired:
            raise CheckError(f"the tests did not finish within {ctx.timeout:g} s") from None
        counts = read_junit(report)
    said = done.stdout.strip().splitlines()[-1:] or ["(no output)"]
    where = f"pytest {' '.join(found)}"
    if counts.ran < 1:
        raise CheckFailed(f"{where} ran no test ({counts.tests} collected, all skipped or none)")
    if counts.failures or counts.errors or done.returncode != 0:
        raise CheckFailed(
            f"{where}: {counts.failures} failed, {counts.errors} errors of {counts.tests} "
            f"(exit code {done.returncode}): {short(said[0], 100)}"
        )
    return f"{where}: {counts.ran} passed ({counts.skipped} skipped), read from its JUnit report"
