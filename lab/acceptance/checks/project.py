"""Checks on the project's own files: the CI workflow and the container definition."""

from __future__ import annotations

import re

import yaml
from pydantic import Field

from lab.acceptance.checks._base import CheckContext, CheckFailed, Params
from lab.acceptance.checks.kinds import CHECK_KINDS

_LAUNCHERS = r"(?:(?:python3?|py) -m |uvx |pipx run |uv run )?"


def runs_command(script: str, tool: str) -> bool:
    """Whether a step's `run:` script runs `tool` as a command (`tox`, `/opt/tox/bin/tox`,
    `python -m tox`), not merely mentions it (`pip install tox`)."""
    pattern = re.compile(rf"^{_LAUNCHERS}(?:[^\s]*[/\\])?{re.escape(tool)}(?:\.exe)?(?:\s|$)")
    commands = re.split(r"\n|&&|\|\||;|\|", script)
    return any(pattern.match(command.strip()) for command in commands)


class WorkflowParams(Params):
    path: str = ".github/workflows/ci.yml"
    must_run: list[str] = Field(default_factory=lambda: ["tox"])


@CHECK_KINDS.kind("ci_workflow", WorkflowParams)
def ci_workflow(params: WorkflowParams, ctx: CheckContext) -> str:
    """The CI workflow exists, is valid YAML with triggers and jobs, and runs the named tools."""
    path = ctx.project_file(params.path)
    if not path.is_file():
        raise CheckFailed(f"no {params.path}")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CheckFailed(f"{params.path} is not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise CheckFailed(f"{params.path} is not a workflow (a mapping with `on` and `jobs`)")
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    jobs = doc.get("jobs")
    if not triggers:
        raise CheckFailed(f"{params.path} has no `on:` triggers")
    if not isinstance(jobs, dict) or not jobs:
        raise CheckFailed(f"{params.path} has no jobs")
    runs = {
        job: "\n".join(
            str(step.get("run", "")) for step in body.get("steps", []) if isinstance(step, dict)
        )
        for job, body in jobs.items()
        if isinstance(body, dict)
    }
    found = {
        tool: [job for job, text in runs.items() if runs_command(text, tool)]
        for tool in params.must_run
    }
    missing = [tool for tool, jobs_running in found.items() if not jobs_running]
    if missing:
        raise CheckFailed(f"no step of {params.path} runs {', '.join(missing)}")
    where = "; ".join(f"{tool} in {', '.join(jobs_)}" for tool, jobs_ in found.items())
    return f"{len(jobs)} jobs ({', '.join(jobs)}); runs {where}"


class ContainerParams(Params):
    path: str = "config/container/Dockerfile"


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


@CHECK_KINDS.kind("container_user", ContainerParams)
def container_user(params: ContainerParams, ctx: CheckContext) -> str:
    """The Dockerfile's final stage switches to a user other than root."""
    path = ctx.project_file(params.path)
    if not path.is_file():
        raise CheckFailed(f"no {params.path}")
    user = final_user(path.read_text(encoding="utf-8"))
    if user is None:
        raise CheckFailed(f"the final stage of {params.path} has no USER: it runs as root")
    name = user.split(":")[0]
    if name in ("root", "0"):
        raise CheckFailed(f"the final stage of {params.path} runs as USER {user}")
    if name.startswith("$"):
        raise CheckFailed(f"USER {user} in {params.path}: cannot tell which user that is")
    return f"final stage of {params.path} runs as USER {user}"
