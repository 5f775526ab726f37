"""The Procfile: read it, refuse shell syntax, and fill in this interpreter.

Every line is `python -m lab <verb>` (honcho-compatible: `honcho start` runs the same file).
`lab up` runs each line with `python` replaced by the interpreter running `lab up`, so the
lab's venv is used even when it is not activated, and `python` need not exist on PATH (Debian
has only `python3`).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from honcho.environ import parse_procfile

from lab.settings import lab_file

NAME = "Procfile"
#: Characters that mean something to sh or cmd.exe; a Procfile line must run the same on both.
SHELL_SYNTAX = re.compile(r"""[|&;<>()$`\\"'*?!~{}\[\]%^\n]""")


class ProcfileError(ValueError):
    pass


def find(start: Path | None = None) -> Path:
    """`Procfile` in the working folder, else the lab's own (the checkout's, or a wheel's copy)."""
    here = (start or Path.cwd()) / NAME
    if here.is_file():
        return here.resolve()
    shipped = lab_file(NAME)
    if shipped is not None and shipped.is_file():
        return shipped
    raise ProcfileError(f"no {NAME} in {here.parent} or in the lab's own files; pass --procfile")


def parse(text: str) -> dict[str, str]:
    """Process name -> command of a Procfile's text, in file order (honcho's parser: the one the
    lab and a bare `honcho start` read it with); nothing is checked."""
    return dict(parse_procfile(text).processes)


def load(path: Path) -> dict[str, str]:
    """Process name -> command, in file order; shell syntax or an empty file is an error."""
    try:
        processes = parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, AssertionError) as exc:
        raise ProcfileError(f"cannot read {path}: {exc}") from None
    if not processes:
        raise ProcfileError(f"{path} has no `name: command` line")
    for name, cmd in processes.items():
        bad = SHELL_SYNTAX.search(cmd)
        if bad:
            raise ProcfileError(
                f"{path}: `{name}: {cmd}` uses shell syntax ({bad.group()!r}); a Procfile line "
                "must be a plain command such as `python -m lab serve` so it runs on Windows too"
            )
    return processes


def quote(arg: str) -> str:
    """`arg` quoted for the shell honcho runs commands with (sh, or cmd.exe on Windows)."""
    return subprocess.list2cmdline([arg]) if sys.platform == "win32" else shlex.quote(arg)


def commands(processes: dict[str, str], python: str = sys.executable) -> dict[str, str]:
    """Each command with a leading `python` replaced by `python` (quoted for this OS)."""
    done = {}
    for name, cmd in processes.items():
        head, _, rest = cmd.partition(" ")
        done[name] = f"{quote(python)} {rest}".rstrip() if head == "python" else cmd
    return done


def render(processes: dict[str, str], python: str = sys.executable) -> str:
    """Procfile text of `commands(processes, python)`."""
    return "".join(f"{n}: {c}\n" for n, c in commands(processes, python).items())
