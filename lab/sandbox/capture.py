"""A sandboxed command's output, bounded: streamed to a file, its head and tail kept.

A command may print without end (300 MB of test output). Its stdout and stderr go through a
pipe to a thread that writes the first `head` bytes to the log file, keeps only the last `tail`
bytes in memory, and at the end writes a line saying how much was cut, then the tail. Memory
and disk stay bounded whatever the command prints. `tail_lines` reads a log's end by seeking.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

from lab.sandbox import Prepared

__all__ = ["HEAD", "TAIL", "Finished", "Running", "run", "start", "tail_lines"]

HEAD = 64 * 1024  # bytes of the start of the output kept
TAIL = 64 * 1024  # bytes of its end kept
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Finished:
    code: int | None  # None: stopped when its time ran out
    log: Path
    produced: int  # bytes the command printed in all
    seconds: float

    @property
    def cut(self) -> bool:
        return self.produced > HEAD + TAIL

    def text(self) -> str:
        """The log (head, a line saying what was cut, tail): bounded by construction."""
        return self.log.read_text(encoding="utf-8", errors="replace")


class _Pump(threading.Thread):
    def __init__(self, pipe: object, log: Path, head: int, tail: int) -> None:
        super().__init__(daemon=True, name="capture")
        self.pipe, self.log, self.head, self.tail = pipe, log, head, tail
        self.produced = 0

    def run(self) -> None:
        kept: deque[bytes] = deque()
        kept_size = 0
        with self.log.open("wb") as out:
            while chunk := self.pipe.read1(CHUNK):  # type: ignore[attr-defined]
                room = max(self.head - self.produced, 0)
                if room:
                    out.write(chunk[:room])
                rest = chunk[room:]
                self.produced += len(chunk)
                if rest:
                    kept.append(rest)
                    kept_size += len(rest)
                    while kept and kept_size - len(kept[0]) >= self.tail:
                        kept_size -= len(kept.popleft())
            ending = b"".join(kept)[-self.tail :]
            cut = self.produced - min(self.produced, self.head) - len(ending)
            if cut:
                out.write(f"\n[... {cut} bytes of output cut ...]\n".encode())
            out.write(ending)


class Running:
    """A started command: its output pumped into `log`, stopped as a whole by `stop()`."""

    def __init__(
        self, prepared: Prepared, cwd: Path | None, log: Path, head: int, tail: int,
        stdin: bytes | None = None,
    ) -> None:  # fmt: skip
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log
        self.started = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                prepared.argv, cwd=cwd, env=prepared.env,
                stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=prepared.pass_fds,
                start_new_session=sys.platform != "win32",
            )  # fmt: skip
        finally:
            for fd in prepared.pass_fds:
                os.close(fd)
        self._pump = _Pump(self.proc.stdout, log, head, tail)
        self._pump.start()
        if stdin is not None and self.proc.stdin is not None:
            threading.Thread(target=_feed, args=(self.proc.stdin, stdin), daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None if it still runs after `timeout` seconds."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.proc.wait(max(timeout, 0.05))
        return None

    def stop(self, grace: float = 3.0) -> Finished:
        """Stop the command and everything it started; the pump drains the pipe's end."""
        code = self.proc.poll()  # None: it still runs, so it is stopped (its time ran out)
        if code is None:
            _signal_group(self.proc.pid, signal.SIGTERM)
            self.wait(grace)
        _kill_session(self.proc)
        self.wait(5.0)
        self._pump.join(10.0)
        with contextlib.suppress(OSError, ValueError):
            if self.proc.stdout is not None:
                self.proc.stdout.close()
        return Finished(code, self.log, self._pump.produced, time.monotonic() - self.started)


def _feed(pipe: IO[bytes], data: bytes) -> None:
    with contextlib.suppress(OSError), pipe:
        pipe.write(data)


def _signal_group(pid: int, sig: int) -> None:
    if sys.platform == "win32":
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).terminate()
        return
    with contextlib.suppress(OSError):
        os.killpg(pid, sig)


def _kill_session(proc: subprocess.Popen[bytes]) -> None:
    """Kill what is left of `proc`'s session (in a sandbox: its PID namespace went with it)."""
    if sys.platform == "win32":
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(proc.pid).children(recursive=True):
                child.kill()
        return
    sid = proc.pid
    for p in psutil.process_iter(["pid"]):
        with contextlib.suppress(OSError, psutil.Error):
            if p.pid != os.getpid() and os.getsid(p.pid) == sid:
                p.kill()


def start(
    prepared: Prepared, log: Path, *, cwd: Path | None = None, head: int = HEAD, tail: int = TAIL,
    stdin: bytes | None = None,
) -> Running:  # fmt: skip
    """Start the command; `stdin`: bytes written to its standard input, which then closes."""
    return Running(prepared, cwd, log, head, tail, stdin)


def run(
    prepared: Prepared, log: Path, timeout: float, *, cwd: Path | None = None, head: int = HEAD,
    tail: int = TAIL, stdin: bytes | None = None,
) -> Finished:  # fmt: skip
    """Run to the end (or `timeout`); nothing it started outlives it."""
    running = start(prepared, log, cwd=cwd, head=head, tail=tail, stdin=stdin)
    running.wait(timeout)
    return running.stop()


def tail_lines(path: Path, lines: int = 15, most: int = 64 * 1024) -> str:
    """The last `lines` lines of `path`, read from its last `most` bytes (seeking, never whole)."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(size - most, 0))
            data = f.read(most)
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])
