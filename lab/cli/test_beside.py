"""Runs of `lab test --seeds N` that go beside the first one, at the lowest CPU priority.

After a first run of the whole suite, the other seeds repeat only the unit and property tests.
The first run spends much of its time waiting on real processes (an MLflow server starting, a
Prometheus scrape), so those repeats run at the same time, one after another, in the CPU time
it leaves idle: niced to 19 on POSIX, the idle priority class on Windows (children inherit it).
Their output goes to a log file each, shown when the first run is over.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import psutil

#: Lines of a failed run's log shown after the first run's output.
TAIL_LINES = 60


@dataclass
class BesideRun:
    number: int
    args: list[str]  # pytest's arguments, the seed first
    log: Path
    code: int | None = None  # None: not run (an earlier one failed, or stopped)

    def summary(self) -> str:
        """pytest's last line ("947 passed in 92.20s"), else the last line of the log."""
        lines = [ln.strip() for ln in self._lines() if ln.strip()]
        return next((ln.strip("= ") for ln in reversed(lines) if " in " in ln and "=" in ln),
                    lines[-1] if lines else "(no output)")  # fmt: skip

    def tail(self, count: int = TAIL_LINES) -> str:
        return "\n".join(self._lines()[-count:])

    def _lines(self) -> list[str]:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []


def lowest_priority(pid: int) -> None:
    """The process (and the children it starts next) gets CPU only when nothing else wants it."""
    process = psutil.Process(pid)
    if sys.platform == "win32":
        process.nice(psutil.IDLE_PRIORITY_CLASS)
    else:
        process.nice(19)


@dataclass
class Beside:
    """Runs `runs` one after another in a thread, each a low-priority pytest process."""

    runs: list[BesideRun]
    folder: Path
    _stop: threading.Event = field(default_factory=threading.Event)
    _current: subprocess.Popen[bytes] | None = None
    _thread: threading.Thread | None = None

    @classmethod
    def of(cls, arg_lists: list[tuple[int, list[str]]], folder: Path) -> Beside:
        runs = [BesideRun(n, args, folder / f"run-{n}.log") for n, args in arg_lists]
        return cls(runs, folder)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="lab-test-beside", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        for run in self.runs:
            if self._stop.is_set():
                return
            basetemp = self.folder / f"tmp-{run.number}"  # pytest's own cleanup stays apart
            with run.log.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "pytest", f"--basetemp={basetemp}", *run.args],
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                )  # fmt: skip
                self._current = proc
                # it may have ended, or the OS may refuse: then it runs at normal priority
                with contextlib.suppress(psutil.Error):
                    lowest_priority(proc.pid)
                run.code = proc.wait()
            if run.code != 0:
                return

    def stop(self) -> None:
        """Stop what is running beside (the first run failed: its answer is enough)."""
        self._stop.set()
        proc = self._current
        if proc is not None and proc.poll() is None:
            for child in _children(proc.pid):
                child.terminate()
            proc.terminate()
        self.join()

    def join(self) -> list[BesideRun]:
        if self._thread is not None:
            self._thread.join()
        return self.runs


def _children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def scratch_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="lab-test-seeds-", ignore_cleanup_errors=True)
