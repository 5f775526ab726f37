"""Where the processes' output goes: one log per process, the lab's log, and the terminal.

The terminal gets honcho's format (`12:00:01 api  | line`, coloured per process, honcho's own
Printer), so `lab up` reads the same as `honcho start`. LAB_HOME/run/logs/NAME.log is what
`lab logs NAME` reads; LAB_HOME/run/lab.log has every line with its prefix. Both rotate by
size (lab/orchestration/logfile.py).

A terminal that went away (closed window: EIO; `lab up | tee` with tee gone: EPIPE) turns the
echo off for good and never raises: a failed write must not interrupt the shutdown.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from honcho.colour import get_colours
from honcho.printer import Message, Printer

from lab.orchestration.logfile import RotatingLog

LOGS = "logs"


def log_path(run_dir: Path, name: str) -> Path:
    return run_dir / LOGS / f"{name}.log"


class Terminal:
    """Writes to stdout that give up quietly, once, when the terminal is gone."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.gone = False
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        if self.gone:
            return
        with self._lock:
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):
                self.lost()

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        try:
            return not self.gone and self.stream.isatty()
        except (OSError, ValueError, AttributeError):
            return False

    def lost(self) -> None:
        """Stop writing, and point fds 1 and 2 at the null device: the exit flush cannot fail."""
        self.gone = True
        silence_terminal()


def silence_terminal() -> None:
    """Point stdout and stderr at the null device: the terminal they wrote to is gone, and
    the flush at exit must not fail (or print a BrokenPipeError) either."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
        with contextlib.suppress(OSError, ValueError, AttributeError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, stream.fileno())
            os.close(null)


class Output:
    """Line sinks for the processes of one `lab up`."""

    def __init__(self, run_dir: Path, names: list[str], terminal: Terminal | None) -> None:
        self.run_dir = run_dir
        (run_dir / LOGS).mkdir(parents=True, exist_ok=True)
        self._lab_log = RotatingLog(run_dir / "lab.log")
        self._logs: dict[str, RotatingLog] = {}
        self._lock = threading.Lock()
        self._print_lock = threading.Lock()
        self._terminal = terminal
        self._printer = None if terminal is None else Printer(terminal, width=max(map(len, names)))
        colours = get_colours()
        self._colours = {name: next(colours) for name in names}
        self._width = max(map(len, names))

    def sink(self, name: str) -> Callable[[bytes], None]:
        """A function taking one line of `name`'s output."""
        with self._lock:
            if name not in self._logs:
                self._logs[name] = RotatingLog(log_path(self.run_dir, name))
        log = self._logs[name]

        def write(line: bytes) -> None:
            self.line(name, line, log)

        return write

    def line(self, name: str, line: bytes, log: RotatingLog | None = None) -> None:
        now = dt.datetime.now()
        prefix = f"{now:%H:%M:%S} {name.ljust(self._width)} | ".encode()
        with self._lock, contextlib.suppress(OSError, ValueError):
            if log is not None:
                log.write(line)
            self._lab_log.write(prefix + line)
        if self._printer is not None:
            message = Message("line", line, now, name, self._colours.get(name))
            with self._print_lock, contextlib.suppress(OSError, ValueError):
                self._printer.write(message)  # whole lines: one process's at a time

    def note(self, name: str, text: str) -> None:
        """A line from `lab up` about `name` (started, exited, restarting …), in its log too."""
        self.line(name, f"[lab up] {text}\n".encode(), self._logs.get(name))

    def close(self) -> None:
        with self._lock:
            for log in [*self._logs.values(), self._lab_log]:
                with contextlib.suppress(OSError):
                    log.close()
