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
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lab.exercises import course, pytest_batch, source
from lab.exercises.pytest_batch import SuiteRun
from lab.sandbox import Sandbox


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


def run_tests(
    project: Path, python: str, timeout: float, sandbox: Sandbox | None = None
) -> SuiteRun:
    """The tests in `project` (a scratch copy), alone; in `sandbox` when given (`lab grade`)."""
    return pytest_batch.run_one(project, python, timeout, sandbox)


def _tests_of(project_dir: Path) -> Path:
    tests = project_dir / "tests"
    if not tests.is_dir():
        raise FileNotFoundError(f"no tests/ folder in {project_dir}")
    return tests


def _run_all(
    variants: Sequence[tuple[str, dict[str, str]]], tests: Path, python: str, timeout: float,
    workers: int, sandbox: Sandbox | None = None, *, first_must_pass: bool = False,
) -> list[SuiteRun | None]:  # fmt: skip
    """The tests beside each variant (name, files), one pytest start-up for all (pytest_batch)."""
    with tempfile.TemporaryDirectory(prefix="lab-mutants-") as tmp:
        projects = []
        for name, files in variants:
            projects.append(Path(tmp) / name / "project")
            _write(files, projects[-1], tests)
        return pytest_batch.run_batch(
            projects, python, timeout, workers, sandbox, first_must_pass=first_must_pass,
            one=lambda *args: run_tests(*args),
        )  # fmt: skip


def baseline(
    project_dir: Path,
    python: str | None = None,
    timeout: float = 300,
    of: course.Course | None = None,
    sandbox: Sandbox | None = None,
) -> SuiteRun:
    """Run the project's tests/ beside the unmodified solved app: they must pass there (in
    `sandbox` when given: `lab grade`)."""
    base, _ = checked(project_dir, python, timeout, 1, of, which=(), sandbox=sandbox)
    return base


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
    _, results = _results(project_dir, python, timeout, workers, of, which, sandbox, False)
    return results or []


def checked(
    project_dir: Path,
    python: str | None = None,
    timeout: float = 300,
    workers: int | None = None,
    of: course.Course | None = None,
    which: Sequence[Mutant] | None = None,
    sandbox: Sandbox | None = None,
) -> tuple[SuiteRun, list[MutantResult] | None]:
    """`baseline`, then, only if the tests pass there, `run`: one pytest start-up for all the
    runs (lab.exercises.pytest_batch). The results are None when the baseline failed."""
    base, results = _results(project_dir, python, timeout, workers, of, which, sandbox, True)
    assert base is not None
    return base, results


def _results(
    project_dir: Path, python: str | None, timeout: float, workers: int | None,
    of: course.Course | None, which: Sequence[Mutant] | None, sandbox: Sandbox | None,
    with_base: bool,
) -> tuple[SuiteRun | None, list[MutantResult] | None]:  # fmt: skip
    tests = _tests_of(project_dir)
    solved = solved_project(of)
    chosen = MUTANTS if which is None else which
    variants = [(m.name, apply(solved, m)) for m in chosen]  # a MutantError before any run
    runs = ([("none", solved)] if with_base else []) + variants
    if not runs:
        return None, []
    workers = workers or min(max(len(variants), 1), os.cpu_count() or 1)
    done = _run_all(runs, tests, python or sys.executable, timeout, workers, sandbox,
                    first_must_pass=with_base)  # fmt: skip
    base = done.pop(0) if with_base else None
    if base is not None and not base.passed:
        return base, None
    results = []
    for mutant, ran in zip(chosen, done, strict=True):
        ran = ran or SuiteRun(None, "did not run")
        caught = ran.code is not None and not ran.passed
        results.append(
            MutantResult(mutant.name, mutant.what, caught, ran.summary, ran.code is None)
        )
    return base, results
