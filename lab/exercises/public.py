"""The course's public tests (`tests/public`, one file per module, each marked with its module):
run them in a project for some modules, and say what pytest said."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FOLDER = "tests/public"
#: pytest's `-rf` line of a failed test, and the module its file is of (test_m2_serving.py: M2)
_FAILED = re.compile(r"^FAILED tests/public/test_(?P<module>[A-Za-z0-9]+)_", re.M)
_SUMMARY = re.compile(
    r"^=*\s*(?P<said>\d+ (passed|failed|error|errors|skipped|deselected).*?)\s*=*$"
)


@dataclass(frozen=True)
class PublicRun:
    modules: tuple[str, ...]
    code: int | None  # pytest's exit code; None: out of time
    summary: str
    #: the modules (lowercase, as their files name them) with a failed test
    failed: frozenset[str] = frozenset()

    @property
    def passed(self) -> bool:
        return self.code == 0

    def line(self) -> str:
        marks = " or ".join(self.modules)
        return f"public tests (python -m pytest {FOLDER} -m '{marks}'): {self.summary}"


def run(
    project: Path, modules: Sequence[str], python: str | None = None, timeout: float = 600
) -> PublicRun | None:
    """Run the public tests of `modules` in `project` with `python` (default: this one); None
    when the project has none."""
    if not (project / FOLDER).is_dir() or not modules:
        return None
    cmd = [python or sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider",
           "-p", "no:randomly", FOLDER, "-m", " or ".join(modules)]  # fmt: skip
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "LAB_ENV_FILE": str(project / ".env")}
    try:
        done = subprocess.run(
            cmd, cwd=project, env=env, capture_output=True, text=True, timeout=timeout
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return PublicRun(tuple(modules), None, f"timed out after {timeout:g} s")
    except OSError as exc:
        return PublicRun(tuple(modules), None, f"cannot run {cmd[0]}: {exc}")
    lines = [ln.strip() for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
    said = next((m["said"] for ln in reversed(lines) if (m := _SUMMARY.match(ln))), None)
    failed = frozenset(m.lower() for m in _FAILED.findall(done.stdout))
    summary = said or (lines[-1] if lines else "(none)")
    return PublicRun(tuple(modules), done.returncode, summary, failed)
