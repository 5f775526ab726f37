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
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
        'raise ValidationException(f"{exc}; send {EXAMPLE}") from None',
        'raise RuntimeError(f"{exc}; send {EXAMPLE}") from None',
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


#: the folder of the course's public tests, under tests/ (never graded as the learner's)
PUBLIC_TESTS = "public"


class MutantError(ValueError):
    """A mutant's text is not found exactly once in the solution, or a bad mutants file."""


HIDDEN_FILE = "mutants.yml"  # in the course's instructor/ folder


class _HiddenDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")
    what: str = Field(min_length=1)
    path: str = Field(min_length=1)
    find: str = Field(min_length=1)
    replace: str


def hidden(of: course.Course) -> tuple[Mutant, ...]:
    """The instructor's hidden mutants (instructor/mutants.yml; none without it). Never shown
    to a learner: `lab grade` says only how many were caught."""
    path = of.instructor_dir / HIDDEN_FILE
    if not path.is_file():
        return ()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        docs = [_HiddenDoc.model_validate(m) for m in (data.get("mutants") or [])]
    except (OSError, yaml.YAMLError, AttributeError) as exc:
        raise MutantError(f"{path}: cannot read it: {exc}") from None
    except ValidationError as exc:
        said = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise MutantError(f"{path}: {said}") from None
    names = [d.name for d in docs]
    if len(set(names)) != len(names) or set(names) & {m.name for m in MUTANTS}:
        raise MutantError(f"{path}: a hidden mutant's name is used twice")
    return tuple(Mutant(d.name, d.what, "", "", d.path, d.find, d.replace) for d in docs)


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
    if mutant.path not in files:
        raise MutantError(f"{mutant.name}: no file {mutant.path} in the solution")
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

    def ignored(folder: str, names: list[str]) -> list[str]:
        # the course's public tests (tests/public) are not the learner's: they catch nothing here
        public = Path(folder) == tests and PUBLIC_TESTS in names
        return [n for n in names if n == "__pycache__" or (public and n == PUBLIC_TESTS)]

    shutil.copytree(tests, dest / "tests", ignore=ignored)


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
    which: Sequence[Mutant] | None = None,
    sandbox: Sandbox | None = None,
) -> list[MutantResult]:
    """Run the project's tests/ against each mutant of `which` (default: the public ones) of
    the solution app, `workers` at a time (default: one per CPU); `timeout` bounds each run. A
    run out of time is not caught."""
    tests = _tests_of(project_dir)
    python = python or sys.executable
    base = solved_project(of)
    chosen = MUTANTS if which is None else which
    variants = [(m, apply(base, m)) for m in chosen]  # a MutantError before any run
    if not variants:
        return []
    workers = workers or min(len(variants), os.cpu_count() or 1)

    def one(item: tuple[Mutant, dict[str, str]]) -> MutantResult:
        mutant, files = item
        done = _run_on(files, mutant.name, tests, python, timeout, sandbox)
        caught = done.code is not None and not done.passed
        return MutantResult(mutant.name, mutant.what, caught, done.summary, done.code is None)

    with ThreadPoolExecutor(workers, thread_name_prefix="mutant") as pool:
        return list(pool.map(one, variants))
