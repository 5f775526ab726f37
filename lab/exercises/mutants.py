"""M6's broken services: the solution app with one bug each; good tests catch every one.

A mutant is a (file, solution text, broken text) replacement applied to the solved project, so
it follows the solution as it changes (each text must occur exactly once; a unit test checks
it). `run` copies the learner's tests beside each variant and runs them: a variant is caught
when the tests fail on it. `baseline` runs them beside the unmodified solved project first: tests
that fail there catch nothing. The criterion M6.mutants (lab.acceptance.checks.mutant_tests)
grades a workspace with both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lab.exercises import course, source
from lab.sandbox import Sandbox, capture


@dataclass(frozen=True)
class Mutant:
    name: str
    what: str  # the bug, as a learner would read it
    missing: str  # what the tests lack when they miss it (the criterion's hint)
    missing_zh_tw: str
    path: str
    find: str
    replace: str


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "wrong_status",
        "/predict answers a wrong-length row with 500 instead of a 4xx",
        "no test asserts that /predict answers a row of the wrong length with a 4xx",
        "沒有測試斷言 /predict 對長度錯誤的資料列回應 4xx",
        "app/main.py",
        'raise ValidationException(f"row {i}: expected a list of {N_FEATURES} numbers")',
        'raise RuntimeError(f"row {i}: expected a list of {N_FEATURES} numbers")',
    ),
    Mutant(
        "counter_stuck",
        "prediction_requests_total does not move",
        "no test asserts that a /predict moves prediction_requests_total (read /metrics before "
        "and after)",
        "沒有測試斷言呼叫 /predict 會讓 prediction_requests_total 增加（前後各讀一次 /metrics）",
        "app/metrics.py",
        "self.requests.labels(model_version=version).inc()",
        "self.requests.labels(model_version=version)",
    ),
    Mutant(
        "crm_not_written",
        "/crm_segment_update answers but never writes to the CRM",
        "no test asserts that /crm_segment_update sends the CRM a PUT (see fake_crm.requests)",
        "沒有測試斷言 /crm_segment_update 會送出 PUT 給 CRM（見 fake_crm.requests）",
        "app/crm.py",
        'return await self.call("PUT", path, json=body, headers=headers)',
        'return {**body, "old_segment": None}',
    ),
    Mutant(
        "wrong_segment",
        "the segment is picked from the wrong end of the tiers",
        "no test asserts which segment a probability maps to (e.g. 0.95 is high_risk)",
        "沒有測試斷言機率對應到哪個客群（例如 0.95 是 high_risk）",
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
    timed_out: bool = False


def solved_project(of: course.Course | None = None) -> dict[str, str]:
    """Every file of the course's project (default: the lab's course) with all modules solved."""
    of = of or course.load()
    files = source.project_files(of.project_dir)
    return {p: source.render(p, t, of.ids) for p, t in files.items()}


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


@dataclass(frozen=True)
class SuiteRun:
    """One run of the learner's tests: pytest's exit code (None: out of time), its last line."""

    code: int | None
    summary: str

    @property
    def passed(self) -> bool:
        return self.code == 0


def run_tests(
    project: Path, python: str, timeout: float, sandbox: Sandbox | None = None
) -> SuiteRun:
    """The tests in `project` (a scratch copy); in `sandbox` when given (`lab grade`)."""
    extra = {"PYTHONDONTWRITEBYTECODE": "1", "LAB_ENV_FILE": str(project / ".env")}
    cmd = [python, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:randomly"]
    if sandbox is not None:
        prepared = sandbox.prepare(cmd, cwd=project, env=extra, writable=[project])
        ran = capture.run(prepared, project.with_name(project.name + ".log"), max(timeout, 1))
        if ran.code is None:
            return SuiteRun(None, f"timed out after {timeout:g} s")
        lines = [line for line in ran.text().splitlines() if line.strip()]
        return SuiteRun(ran.code, lines[-1].strip("= ") if lines else "(no output)")
    try:
        done = subprocess.run(
            cmd, cwd=project, env={**os.environ, **extra}, capture_output=True, text=True,
            timeout=max(timeout, 1),
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return SuiteRun(None, f"timed out after {timeout:g} s")
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return SuiteRun(done.returncode, lines[-1].strip("= ") if lines else "(no output)")


def _tests_of(project_dir: Path) -> Path:
    tests = project_dir / "tests"
    if not tests.is_dir():
        raise FileNotFoundError(f"no tests/ folder in {project_dir}")
    return tests


def _run_on(
    files: dict[str, str], name: str, tests: Path, python: str, timeout: float,
    sandbox: Sandbox | None = None,
) -> SuiteRun:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix=f"lab-mutant-{name}-") as tmp:
        _write(files, Path(tmp) / "project", tests)
        return run_tests(Path(tmp) / "project", python, timeout, sandbox)


def baseline(
    project_dir: Path,
    python: str | None = None,
    timeout: float = 300,
    of: course.Course | None = None,
    sandbox: Sandbox | None = None,
) -> SuiteRun:
    """Run the project's tests/ beside the unmodified solved app: they must pass there (in
    `sandbox` when given: `lab grade`)."""
    tests = _tests_of(project_dir)
    return _run_on(solved_project(of), "none", tests, python or sys.executable, timeout, sandbox)


def run(
    project_dir: Path,
    python: str | None = None,
    timeout: float = 300,
    workers: int | None = None,
    of: course.Course | None = None,
    sandbox: Sandbox | None = None,
) -> list[MutantResult]:
    """Run the project's tests/ against every mutant of the solution app, `workers` at a time
    (default: one per CPU); `timeout` bounds each run. A run out of time is not caught."""
    tests = _tests_of(project_dir)
    python = python or sys.executable
    base = solved_project(of)
    variants = [(m, apply(base, m)) for m in MUTANTS]  # a MutantError before any run
    workers = workers or min(len(variants), os.cpu_count() or 1)

    def one(item: tuple[Mutant, dict[str, str]]) -> MutantResult:
        mutant, files = item
        done = _run_on(files, mutant.name, tests, python, timeout, sandbox)
        caught = done.code is not None and not done.passed
        return MutantResult(mutant.name, mutant.what, caught, done.summary, done.code is None)

    with ThreadPoolExecutor(workers, thread_name_prefix="mutant") as pool:
        return list(pool.map(one, variants))
