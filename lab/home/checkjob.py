"""The page's "check this module" button: `lab check -m Mx` in the background, with progress.

The same command a learner types runs as a child process in the project's folder; its live
progress line ("M4.crm_record … 3/7") is read from its output, and the page polls `state()`.
One check runs at a time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: rich's progress line: spinner, `M4.crm_record <title>`, bar, `3/7`
PROGRESS = re.compile(r"(M[0-9]+\.[a-z0-9_]+)\b.*?\b([0-9]+)/([0-9]+)\s*$")
MODULE = re.compile(r"^M[1-9][0-9]*$")
KEEP_LINES = 40


class Busy(RuntimeError):
    """A check is already running."""


@dataclass
class Job:
    module: str
    started: float
    running: bool = True
    done: int = 0
    total: int = 0
    current: str = ""
    exit_code: int | None = None
    lines: list[str] = field(default_factory=list)
    finished: float | None = None

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["elapsed"] = round((self.finished or time.time()) - self.started, 1)
        return data


class CheckRunner:
    def __init__(self, cwd: Path, command: Sequence[str] = (sys.executable, "-m", "lab")) -> None:
        self.cwd = cwd
        self.command = tuple(command)
        self._lock = threading.Lock()
        self._job: Job | None = None

    def state(self) -> dict[str, object] | None:
        with self._lock:
            return None if self._job is None else self._job.as_json()

    def start(self, module: str) -> dict[str, object]:
        if not MODULE.match(module):
            raise ValueError(f"no module {module!r}: use an id such as M4")
        with self._lock:
            if self._job is not None and self._job.running:
                raise Busy(f"`lab check -m {self._job.module}` is still running")
            self._job = Job(module, time.time())
            job = self._job
        env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "160", "TERM": "xterm"}
        proc = subprocess.Popen(
            [*self.command, "check", "-m", module],
            cwd=self.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        threading.Thread(target=self._follow, args=(job, proc), daemon=True).start()
        return job.as_json()

    def _follow(self, job: Job, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        buffer = b""
        while chunk := proc.stdout.read1(4096):  # type: ignore[attr-defined]
            buffer += chunk
            *parts, buffer = re.split(rb"[\r\n]", buffer)
            for part in parts:
                self._line(job, ANSI.sub("", part.decode("utf-8", "replace")).rstrip())
        proc.stdout.close()
        code = proc.wait()
        with self._lock:
            job.exit_code, job.running, job.finished = code, False, time.time()
            if job.total:
                job.done = job.total

    def _line(self, job: Job, text: str) -> None:
        if not text.strip():
            return
        found = PROGRESS.search(text)
        with self._lock:
            if found:
                job.current = found.group(1)
                job.done, job.total = int(found.group(2)), int(found.group(3))
            elif not text.startswith(("━", "┏", "┃", "┗", "┡", "│", "└")):
                job.lines = [*job.lines, text][-KEEP_LINES:]
