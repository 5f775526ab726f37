"""Helper processes of the checks that only measure something (the project's imports, a browser
rendering a page) run at a low CPU priority, so that the slowest check (the project's training
command) keeps a core of a 2-core laptop to itself and `lab check` ends sooner."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

#: The niceness added on POSIX (`nice -n`); Windows uses BELOW_NORMAL_PRIORITY_CLASS.
LOW = 10


def low_priority(cmd: Sequence[str]) -> tuple[list[str], int]:
    """(the command line, Popen's `creationflags`) that start `cmd` at a low priority.

    POSIX: behind `nice` (it execs `cmd`, so the process and everything it starts are niced
    from the first instruction); without `nice`, `cmd` as is. A program that cannot be found
    raises FileNotFoundError, as `subprocess.run` would without `nice` in front."""
    if sys.platform == "win32":
        flag = subprocess.BELOW_NORMAL_PRIORITY_CLASS  # type: ignore[attr-defined]
        return list(cmd), flag
    nice = shutil.which("nice")
    if nice is None:
        return list(cmd), 0
    if shutil.which(cmd[0]) is None and not (os.sep in cmd[0] and Path(cmd[0]).is_file()):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", cmd[0])
    return [nice, "-n", str(LOW), *cmd], 0


def run_low(
    cmd: Sequence[str],
    *,
    timeout: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(cmd, capture_output=True, text=True)` at a low CPU priority."""
    line, flags = low_priority(cmd)
    return subprocess.run(
        line, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
        creationflags=flags,
    )  # fmt: skip
