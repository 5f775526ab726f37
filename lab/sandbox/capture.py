"""A sandboxed command's run, its output bounded: lab.procs runs it, this names the result.

A command may print without end (300 MB of test output): its log keeps the first `HEAD` and
last `TAIL` bytes (lab.procs.Bound). It runs in a session of its own and is stopped with
everything it started (lab.procs.stop_tree); `tail_lines` reads a log's end by seeking.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from lab import procs
from lab.sandbox import Prepared

__all__ = ["HEAD", "TAIL", "Finished", "Running", "run", "start", "tail_lines"]

HEAD = 64 * 1024  # bytes of the start of the output kept
TAIL = 64 * 1024  # bytes of its end kept

tail_lines = procs.tail


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


class Running:
    """A started command (`child`: lab.procs.Child), stopped as a whole by `stop()`."""

    def __init__(self, child: procs.Child) -> None:
        self.child = child
        self.log = child.log

    @property
    def pid(self) -> int:
        return self.child.pid

    def poll(self) -> int | None:
        return self.child.exit_code()

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None if it still runs after `timeout` seconds."""
        return self.child.wait(timeout)

    def stop(self, grace: float = 3.0) -> Finished:
        """Stop the command and everything it started (at once, after the grace)."""
        code = self.child.exit_code()  # None: it still runs, so it is stopped (time ran out)
        procs.stop_tree(self.child, grace, kill_after=0.0)
        produced = self.child.produced or 0
        return Finished(code, self.log, produced, time.monotonic() - self.child.started)


def start(
    prepared: Prepared, log: Path, *, cwd: Path | None = None, head: int = HEAD, tail: int = TAIL,
    stdin: bytes | None = None, name: str | None = None,
) -> Running:  # fmt: skip
    """Start the command; `stdin`: bytes written to its standard input, which then closes;
    `name`: what messages call it (its program by default)."""
    child = procs.spawn_group(
        name or Path(prepared.argv[0]).name, prepared.argv, cwd=cwd, env=prepared.env, log=log,
        bound=procs.Bound(head, tail), stdin=stdin, pass_fds=prepared.pass_fds,
    )  # fmt: skip
    return Running(child)


def run(
    prepared: Prepared, log: Path, timeout: float, *, cwd: Path | None = None, head: int = HEAD,
    tail: int = TAIL, stdin: bytes | None = None,
) -> Finished:  # fmt: skip
    """Run to the end (or `timeout`); nothing it started outlives it."""
    running = start(prepared, log, cwd=cwd, head=head, tail=tail, stdin=stdin)
    running.wait(timeout)
    return running.stop()
