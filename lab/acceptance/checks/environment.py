"""Checks of the project's environment, run in the project's own interpreter (never the grader's):
the interpreter, its dependencies, their constraints, the layout and the training command."""

from __future__ import annotations

import json
import shlex
import subprocess
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from pydantic import Field

from lab.acceptance.checks._base import (
    CheckContext,
    CheckError,
    CheckFailed,
    Lane,
    Params,
    Schedule,
    short,
)
from lab.acceptance.checks._learner import run_project
from lab.acceptance.checks.kinds import CHECK_KINDS

_PROBE = """
import json, sys
print(json.dumps({"version": "%d.%d.%d" % sys.version_info[:3],
                  "venv": sys.prefix != getattr(sys, "base_prefix", sys.prefix),
                  "prefix": sys.prefix}))
"""

_IMPORT = """
import importlib, importlib.metadata as md, json, sys
wanted = json.loads(sys.argv[1])
tops = md.packages_distributions()
by_dist = {}
for top, dists in tops.items():
    for d in dists:
        by_dist.setdefault(d.lower().replace("_", "-"), []).append(top)
out = {}
for name in wanted:
    key = name.lower().replace("_", "-")
    try:
        version = md.version(name)
    except md.PackageNotFoundError:
        out[name] = {"error": "not installed"}
        continue
    mods = sorted(m for m in by_dist.get(key, []) if not m.startswith("_") and m.isidentifier())
    failed = None
    for mod in mods[:3]:
        try:
            importlib.import_module(mod)
        except Exception as exc:
            failed = f"import {mod}: {type(exc).__name__}: {exc}"
            break
    out[name] = {"version": version, "modules": mods[:3], "error": failed}
print(json.dumps(out))
"""


def run_python(ctx: CheckContext, *args: str, timeout: float | None = None) -> Any:
    """Run the project's interpreter; its last stdout line, as JSON."""
    python = ctx.interpreter()
    try:
        # at a low priority: the training check, the slowest, keeps a core (_priority.py)
        done = run_project(ctx, [str(python), *args], timeout=timeout or ctx.timeout, low=True)
    except OSError as exc:
        raise CheckFailed(f"cannot run the project's interpreter {python}: {exc}") from None
    except subprocess.TimeoutExpired:
        raise CheckError(f"{python} took longer than {ctx.timeout:g} s") from None
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise CheckFailed(f"{python} failed: {short(done.stderr or done.stdout)}") from None


def pyproject(ctx: CheckContext) -> dict[str, Any]:
    path = ctx.project_file("pyproject.toml")
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CheckFailed(f"pyproject.toml is not valid TOML: {short(str(exc))}") from None


class PythonParams(Params):
    schedule = Schedule(Lane.ISOLATED)


@CHECK_KINDS.kind("project_python", PythonParams)
def project_python(_params: PythonParams, ctx: CheckContext) -> str:
    """The project's interpreter runs, is a virtual environment and meets requires-python."""
    info = run_python(ctx, "-c", _PROBE)
    where = f"{ctx.python} ({ctx.python_note})"
    if not info.get("venv"):
        raise CheckFailed(f"{where} is not a virtual environment (prefix {info.get('prefix')})")
    wanted = pyproject(ctx).get("project", {}).get("requires-python", ">=3.11")
    if info["version"] not in SpecifierSet(wanted):
        raise CheckFailed(f"{where} is Python {info['version']}; the project requires {wanted}")
    return f"{where}: Python {info['version']} in a venv (requires {wanted})"


def declared(ctx: CheckContext) -> tuple[str, list[str]]:
    """(where, the requirement lines) of the project's runtime dependencies."""
    deps = pyproject(ctx).get("project", {}).get("dependencies")
    if deps:
        return "pyproject.toml", [str(d) for d in deps]
    req = ctx.project_file("requirements.txt")
    if req.is_file():
        lines = [ln.split("#", 1)[0].strip() for ln in req.read_text(encoding="utf-8").splitlines()]
        return "requirements.txt", [ln for ln in lines if ln and not ln.startswith("-")]
    raise CheckFailed(
        "no dependencies declared: neither pyproject.toml [project].dependencies nor "
        "requirements.txt"
    )


def parsed(where: str, lines: list[str]) -> list[Requirement]:
    out = []
    for line in lines:
        try:
            out.append(Requirement(line))
        except InvalidRequirement as exc:
            raise CheckFailed(f"{where}: {line!r} is not a valid requirement ({exc})") from None
    return out


class DepsParams(Params):
    schedule = Schedule(Lane.ISOLATED, timeout=120.0, reusable=True)


@CHECK_KINDS.kind("project_dependencies", DepsParams)
def project_dependencies(_params: DepsParams, ctx: CheckContext) -> str:
    """Each declared dependency is installed at an allowed version and imports, in the project's
    interpreter."""
    where, lines = declared(ctx)
    reqs = [r for r in parsed(where, lines) if r.marker is None or r.marker.evaluate()]
    found = run_python(ctx, "-c", _IMPORT, json.dumps([r.name for r in reqs]))
    problems = []
    for req in reqs:
        got = found.get(req.name, {})
        if got.get("error") == "not installed":
            problems.append(f"{req.name} is not installed")
        elif got.get("version") and not req.specifier.contains(got["version"], prereleases=True):
            problems.append(f"{req.name} {got['version']} does not meet {req.specifier}")
        elif got.get("error"):
            problems.append(f"{req.name}: {short(got['error'], 80)}")
    if problems:
        raise CheckFailed(
            f"in {ctx.python}: {'; '.join(problems[:3])}"
            + (f" (+{len(problems) - 3} more)" if len(problems) > 3 else "")
        )
    return f"{len(reqs)} dependencies of {where} installed and importing in {ctx.python}"


@CHECK_KINDS.kind("dependencies_pinned", PythonParams)
def dependencies_pinned(_params: PythonParams, ctx: CheckContext) -> str:
    """Every declared runtime dependency carries a version constraint (or a lock file pins them)."""
    where, lines = declared(ctx)
    loose = [r.name for r in parsed(where, lines) if not r.specifier and not r.url]
    if loose:
        locks = [n for n in ("uv.lock", "poetry.lock", "pdm.lock", "requirements.lock")
                 if ctx.project_file(n).is_file()]  # fmt: skip
        if locks:
            return f"{where}: {', '.join(loose)} unconstrained, pinned by {locks[0]}"
        raise CheckFailed(f"{where}: no version constraint on {', '.join(loose)}")
    return f"{where}: all {len(lines)} dependencies carry a version constraint"


class LayoutParams(Params):
    schedule = Schedule(Lane.ISOLATED)
    areas: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "serving": ["app", "serving", "api", "service"],
            "training": ["training", "train"],
            "tests": ["tests", "test"],
        }
    )


SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    ".lab",
    ".tox",
    "node_modules",
    "__pycache__",
    "build",
    "dist",
}


def _names(root: Path, depth: int = 3) -> list[Path]:
    found: list[Path] = []
    frontier = [root]
    for _ in range(depth):
        nxt = []
        for folder in frontier:
            try:
                entries = sorted(folder.iterdir())
            except OSError:
                continue
            for entry in entries:
                if entry.name in SKIP_DIRS or entry.name.startswith("."):
                    continue
                found.append(entry)
                if entry.is_dir():
                    nxt.append(entry)
        frontier = nxt
    return found


@CHECK_KINDS.kind("project_layout", LayoutParams)
def project_layout(params: LayoutParams, ctx: CheckContext) -> str:
    """Serving code, training code and tests each live in their own folder or module."""
    entries = _names(ctx.project_dir)
    where: dict[str, Path] = {}
    for area, names in params.areas.items():
        for entry in entries:
            stem = entry.stem if entry.is_file() and entry.suffix == ".py" else entry.name
            if (entry.is_dir() or entry.suffix == ".py") and stem.lower() in names:
                where[area] = entry
                break
    missing = [a for a in params.areas if a not in where]
    if missing:
        raise CheckFailed(
            f"no folder or module for {', '.join(missing)} in {ctx.project_dir} "
            f"(looked for {'; '.join('/'.join(params.areas[a]) for a in missing)})"
        )
    if len({p for p in where.values()}) < len(where):
        raise CheckFailed("serving, training and tests share one file or folder")
    rel = {a: p.relative_to(ctx.project_dir).as_posix() for a, p in where.items()}
    return ", ".join(f"{a}: {p}" for a, p in rel.items())


class TrainParams(Params):
    schedule = Schedule(Lane.ISOLATED, timeout=180.0, reusable=True)
    flags: list[str] = Field(
        default_factory=lambda: [
            "--n_samples", "300", "--c_param", "0.5", "--model_version", "v0.0.1-check"
        ]
    )  # fmt: skip
    model_file: str = "models/sample_model.joblib"  # under the LAB_HOME the command is given


def train_command(ctx: CheckContext) -> tuple[list[str], str]:
    """(the training command, where it came from): a workspace's own, else the lab's."""
    ws = ctx.workspace
    if ws is None:
        return ["python", "-m", "lab", "train"], "the lab's `lab train`"
    command = ws.command("train")
    if not command:  # the one-step training command is the learner's (M1), never the lab's
        raise CheckFailed(
            "workspace.toml has no `[commands] train`: add the one-step training command there, "
            'e.g. `train = "tox -e train"` or `train = "python -m training.train"`'
        )
    return list(command), "workspace.toml [commands] train"


@CHECK_KINDS.kind("train_command", TrainParams)
def train(params: TrainParams, ctx: CheckContext) -> str:
    """The project's training command runs with the course's flags and writes the model file
    (into a scratch LAB_HOME and a scratch MLflow store: the lab's own stay untouched)."""
    command, source = train_command(ctx)
    if command and Path(command[0]).name in ("python", "python3", "py"):
        command[0] = str(ctx.interpreter())
    command += params.flags
    with tempfile.TemporaryDirectory(prefix="lab-check-train-") as scratch:
        home = Path(scratch)
        env = {
            "LAB_HOME": str(home),
            "MLFLOW_TRACKING_URI": (home / "mlruns").as_uri(),
            "MLFLOW_ALLOW_FILE_STORE": "true",
            "PYTHONUNBUFFERED": "1",
        }
        try:
            done = run_project(
                ctx, command, env=env, writable=[home], timeout=max(ctx.timeout - 1, 1)
            )
        except FileNotFoundError:
            raise CheckFailed(f"cannot run {command[0]} ({source})") from None
        except subprocess.TimeoutExpired:
            raise CheckError(f"training did not finish within {ctx.timeout:g} s") from None
        shown = shlex.join([Path(command[0]).name, *command[1:]])
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
            raise CheckFailed(f"`{shown}` ({source}) exit {done.returncode}: {short(last[0], 140)}")
        if not (home / params.model_file).is_file():
            raise CheckFailed(f"`{shown}` ran but wrote no <LAB_HOME>/{params.model_file}")
    return f"`{shown}` ({source}) wrote <LAB_HOME>/{params.model_file}"
