"""M6's broken services: the solution app with one bug each; good tests catch every one.

A mutant is a (file, solution text, broken text) replacement applied to the solved project, so
it follows the solution as it changes (each text must occur exactly once, `lab exercise verify`
checks it). `run` copies the learner's tests beside each variant and runs them: a variant is
caught when the tests fail on it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lab.exercises import catalog, source


@dataclass(frozen=True)
class Mutant:
    name: str
    what: str  # the bug, as a learner would read it
    path: str
    find: str
    replace: str


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "wrong_status",
        "/predict answers a wrong-length row with 500 instead of a 4xx",
        "app/main.py",
        'raise ValidationException(f"row {i}: expected a list of {N_FEATURES} numbers")',
        'raise RuntimeError(f"row {i}: expected a list of {N_FEATURES} numbers")',
    ),
    Mutant(
        "counter_stuck",
        "prediction_requests_total does not move",
        "app/metrics.py",
        "self.requests.labels(model_version=version).inc()",
        "self.requests.labels(model_version=version)",
    ),
    Mutant(
        "crm_not_written",
        "/crm_segment_update answers but never writes to the CRM",
        "app/crm.py",
        'return await self.call("PUT", path, json=body, headers=headers)',
        'return {**body, "old_segment": None}',
    ),
    Mutant(
        "wrong_segment",
        "the segment is picked from the wrong end of the tiers",
        "app/crm.py",
        "for rule in rules:",
        "for rule in reversed(rules):",
    ),
)


class MutantError(ValueError):
    """A mutant's text is not found exactly once in the solution."""


@dataclass(frozen=True)
class MutantResult:
    name: str
    what: str
    caught: bool
    summary: str


def solved_project() -> dict[str, str]:
    """Every file of the project with all modules solved."""
    files = source.project_files()
    return {p: source.render(p, t, catalog.EXERCISES) for p, t in files.items()}


def apply(files: dict[str, str], mutant: Mutant) -> dict[str, str]:
    text = files[mutant.path]
    if text.count(mutant.find) != 1:
        raise MutantError(f"{mutant.name}: {mutant.find!r} is not once in {mutant.path}")
    return {**files, mutant.path: text.replace(mutant.find, mutant.replace)}


def _write(files: dict[str, str], dest: Path, tests: Path) -> None:
    for rel, text in files.items():
        if rel.startswith("tests/"):
            continue
        target = dest / Path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    shutil.copytree(tests, dest / "tests", ignore=shutil.ignore_patterns("__pycache__"))


def run_tests(project: Path, python: str, timeout: float) -> tuple[int, str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "LAB_ENV_FILE": str(project / ".env")}
    cmd = [python, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:randomly"]
    try:
        done = subprocess.run(
            cmd, cwd=project, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return 1, f"timed out after {timeout:g} s"
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return done.returncode, lines[-1] if lines else "(no output)"


def run(project_dir: Path, python: str | None = None, timeout: float = 300) -> list[MutantResult]:
    """Run the project's tests/ against every mutant of the solution app."""
    tests = project_dir / "tests"
    if not tests.is_dir():
        raise FileNotFoundError(f"no tests/ folder in {project_dir}")
    python = python or sys.executable
    results = []
    base = solved_project()
    for mutant in MUTANTS:
        with tempfile.TemporaryDirectory(prefix=f"lab-mutant-{mutant.name}-") as tmp:
            _write(apply(base, mutant), Path(tmp), tests)
            code, summary = run_tests(Path(tmp), python, timeout)
        results.append(MutantResult(mutant.name, mutant.what, code != 0, summary))
    return results
