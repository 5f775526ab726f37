"""Checks that read the project's tests without running them: which areas they exercise, and
whether the tests needing outside services are kept apart by a marker. Fast: `ast` only."""

from __future__ import annotations

import ast
import configparser
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from lab.acceptance.checks._base import CheckContext, CheckFailed, Lane, Params, Schedule
from lab.acceptance.checks.facts import Fact
from lab.acceptance.checks.kinds import CHECK_KINDS
from lab.exercises.mutants import PUBLIC_TESTS

SERVICE_MARKERS = ("integration", "e2e")


@dataclass(frozen=True)
class FoundTest:
    file: Path
    name: str
    source: str  # the test function's own source
    file_text: str
    markers: frozenset[str]


def _marks(decorators: list[ast.expr]) -> set[str]:
    found = set()
    for node in decorators:
        for sub in ast.walk(node):
            if (
                isinstance(sub, ast.Attribute)
                and isinstance(sub.value, ast.Attribute)
                and sub.value.attr == "mark"
            ):
                found.add(sub.attr)
    return found


def _module_marks(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            found |= _marks([node.value])
    return found


#: the project's tests, by folder
TESTS: Fact[list[FoundTest]] = Fact("tests")


def collect(ctx: CheckContext, folder: str = "tests") -> list[FoundTest]:
    """Every `test_*` function (and method) of the project's test files, with its markers
    (read once per run)."""
    return ctx.facts.once(TESTS, folder, lambda: _collect(ctx, folder))


def _collect(ctx: CheckContext, folder: str) -> list[FoundTest]:
    root = ctx.project_file(folder)
    if not root.is_dir():
        raise CheckFailed(f"no {folder}/ folder in {ctx.project_dir}")
    found = []
    for path in sorted(root.rglob("*.py")):
        if not (path.name.startswith("test_") or path.name.endswith("_test.py")):
            continue
        if path.relative_to(root).parts[0] == PUBLIC_TESTS:  # the course's, not the learner's
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        module_marks = _module_marks(tree)
        lines = text.splitlines()
        in_folder = {m for m in SERVICE_MARKERS if m in path.relative_to(root).parts[:-1]}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test"
            ):
                source = "\n".join(lines[node.lineno - 1 : node.end_lineno])
                marks = module_marks | _marks(node.decorator_list) | in_folder
                found.append(FoundTest(path, node.name, source, text, frozenset(marks)))
    return found


def _rel(ctx: CheckContext, t: FoundTest) -> str:
    return f"{t.file.relative_to(ctx.project_dir).as_posix()}::{t.name}"


class CoverageParams(Params):
    schedule = Schedule(Lane.ISOLATED)
    areas: dict[str, str] = Field(
        default_factory=lambda: {
            "/health": r"/health\b",
            "/predict": r"/predict\b",
            "the CRM flow": r"crm_segment_update",
            "/metrics": r"/metrics\b",
        }
    )


@CHECK_KINDS.kind("test_coverage", CoverageParams)
def areas_covered(params: CoverageParams, ctx: CheckContext) -> str:
    """The project's tests exercise each area (a test, or the file it is in, names the endpoint)."""
    tests = collect(ctx)
    if not tests:
        raise CheckFailed("no test functions in tests/")
    counts = {}
    for area, pattern in params.areas.items():
        own = sum(1 for t in tests if re.search(pattern, t.source))
        files = {t.file for t in tests if re.search(pattern, t.file_text)}
        counts[area] = f"{own} tests" if own else f"{len(files)} files" if files else ""
    missing = [a for a, n in counts.items() if not n]
    if missing:
        raise CheckFailed(f"{len(tests)} tests, none exercises {', '.join(missing)}")
    return f"{len(tests)} tests; " + ", ".join(f"{a}: {n}" for a, n in counts.items())


def registered_markers(ctx: CheckContext) -> set[str]:
    """Markers the project registers (pyproject.toml, pytest.ini, tox.ini, setup.cfg, conftest)."""
    found: set[str] = set()
    pyproject = ctx.project_file("pyproject.toml")
    if pyproject.is_file():
        try:
            ini = (
                tomllib.loads(pyproject.read_text(encoding="utf-8"))
                .get("tool", {})
                .get("pytest", {})
                .get("ini_options", {})
            )
            found |= {str(m).split(":")[0].strip() for m in ini.get("markers", [])}
        except tomllib.TOMLDecodeError:
            pass
    for name, section in (
        ("pytest.ini", "pytest"),
        ("tox.ini", "pytest"),
        ("setup.cfg", "tool:pytest"),
    ):
        path = ctx.project_file(name)
        if path.is_file():
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read(path, encoding="utf-8")
                lines = parser.get(section, "markers", fallback="").splitlines()
            except configparser.Error:
                lines = []
            found |= {ln.split(":")[0].strip() for ln in lines if ln.strip()}
    for conftest in ctx.project_dir.glob("**/conftest.py"):
        if ".venv" not in conftest.parts:
            found |= set(
                re.findall(
                    r'addinivalue_line\(\s*"markers",\s*"(\w+)',
                    conftest.read_text(encoding="utf-8", errors="replace"),
                )
            )
    return found


class MarkerParams(Params):
    schedule = Schedule(Lane.ISOLATED)
    markers: list[str] = Field(default_factory=lambda: list(SERVICE_MARKERS))


@CHECK_KINDS.kind("test_markers", MarkerParams)
def service_tests_marked(params: MarkerParams, ctx: CheckContext) -> str:
    """Tests that need outside services carry a registered marker, so a unit run leaves them out."""
    tests = collect(ctx)
    registered = registered_markers(ctx) & set(params.markers)
    if not registered:
        raise CheckFailed(
            f"no {' or '.join(params.markers)} marker registered "
            "(pytest would warn on an unknown one)"
        )
    marked = [t for t in tests if t.markers & registered]
    if not marked:
        raise CheckFailed(
            f"the {', '.join(sorted(registered))} marker is registered but no test carries it"
        )
    names = sorted(registered)
    return (
        f"{len(marked)} of {len(tests)} tests marked {'/'.join(names)}; "
        f'`-m "not {names[0]}"` leaves them out'
    )


class IntegrationParams(Params):
    schedule = Schedule(Lane.ISOLATED)
    flow: str = r"crm_segment_update"
    crm: str = r"/customers|crm"


@CHECK_KINDS.kind("integration_test", IntegrationParams)
def integration_test_exists(params: IntegrationParams, ctx: CheckContext) -> str:
    """A test marked integration calls the segment update and reads the CRM back."""
    tests = [t for t in collect(ctx) if "integration" in t.markers]
    if not tests:
        raise CheckFailed("no test marked integration (or under tests/integration/)")
    hits = [t for t in tests if re.search(params.flow, t.source + t.file_text)
            and re.search(params.crm, t.source, re.I)]  # fmt: skip
    if not hits:
        raise CheckFailed(
            f"{len(tests)} integration tests, none calls {params.flow} and reads the CRM"
        )
    return (
        f"{len(hits)} integration tests call the flow and read the CRM, e.g. {_rel(ctx, hits[0])}"
    )
