"""Checks before anything starts: the `.env` file, missing tools, free ports."""

from __future__ import annotations

from pathlib import Path

from lab.envfile import write_env
from lab.observability.tools import find_binary
from lab.orchestration import ports
from lab.orchestration.services import Service
from lab.settings import Settings


def ensure_env_file(target: Path) -> bool:
    """Write `.env` (with fresh secrets, as `lab init`) when it does not exist; True if written."""
    if target.exists():
        return False
    write_env(target)
    return True


def missing_tools(settings: Settings, wanted: list[Service]) -> dict[str, str]:
    """Service name -> one-line hint, for each service whose binary is nowhere to be found."""
    return {
        s.name: f"get it: `lab fetch {s.spec.tool}` or the OS package"
        for s in wanted
        if s.spec.tool is not None and find_binary(settings, s.spec.tool) is None
    }


def port_problems(wanted: list[Service], missing: dict[str, str]) -> tuple[list[str], list[str]]:
    """(errors, warnings): a taken port is an error, unless its tool is missing anyway."""
    errors: list[str] = []
    warnings: list[str] = []
    for conflict in ports.conflicts(wanted):
        (warnings if conflict.service.name in missing else errors).append(conflict.message)
    return errors, warnings
