"""Checks before anything starts: the `.env` file, missing tools, free ports."""

from __future__ import annotations

from pathlib import Path

import psutil

from lab.envfile import write_env
from lab.observability.tools import find_binary
from lab.orchestration import ports, runfile
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


def port_problems(
    wanted: list[Service], missing: dict[str, str], run_dir: Path | None = None
) -> tuple[list[str], list[str]]:
    """(errors, warnings): a taken port is an error, unless its tool is missing anyway.

    When a port is held by a process an earlier `lab up` left behind (its run record names it,
    or it runs a lab verb), the error says that `lab down` clears them."""
    errors: list[str] = []
    warnings: list[str] = []
    found = ports.conflicts(wanted)
    for conflict in found:
        (warnings if conflict.service.name in missing else errors).append(conflict.message)
    if errors and any(_from_earlier_lab(c.pid, run_dir) for c in found):
        errors.append(
            "these are processes of an earlier `lab up` (a closed terminal, a killed lab): "
            "`lab down` stops them"
        )
    return errors, warnings


def _from_earlier_lab(pid: int | None, run_dir: Path | None) -> bool:
    if pid is None:
        return False
    if run_dir is not None:
        rec = runfile.read(run_dir)
        if rec is not None and pid in {c.pid for c in rec.children}:
            return True
    try:
        cmd = psutil.Process(pid).cmdline()
    except psutil.Error:
        return False
    return any(a == "lab" for a in cmd) or any(a.endswith(("/bin/lab", "\\lab.exe")) for a in cmd)
