"""A child's output in a log file: written as it comes, or bounded (its head and tail kept).

A command may print without end (300 MB of test output). With `Bound`, its stdout and stderr
go through a pipe to a thread (`Pump`) that writes the first `head` bytes to the log file, keeps
only the last `tail` bytes in memory, and at the end writes a line saying how much was cut, then
the tail. Memory and disk stay bounded whatever the command prints. `tail` reads a log's end by
seeking, never the whole file.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import IO

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Bound:
    """How much of a child's output its log keeps: the first `head` and last `tail` bytes."""

    head: int = 64 * 1024
    tail: int = 64 * 1024


class Pump(threading.Thread):
    """Copies a pipe into `log`, bounded by `bound`; `produced` counts every byte read."""

    def __init__(self, pipe: IO[bytes], log: Path, bound: Bound) -> None:
        super().__init__(daemon=True, name="output")
        self.pipe, self.log, self.bound = pipe, log, bound
        self.produced = 0

    def run(self) -> None:
        head, tail = self.bound.head, self.bound.tail
        kept: deque[bytes] = deque()
        kept_size = 0
        with self.log.open("wb") as out:
            while chunk := self.pipe.read1(CHUNK):  # type: ignore[attr-defined]
                room = max(head - self.produced, 0)
                if room:
                    out.write(chunk[:room])
                rest = chunk[room:]
                self.produced += len(chunk)
                if rest:
                    kept.append(rest)
                    kept_size += len(rest)
                    while kept and kept_size - len(kept[0]) >= tail:
                        kept_size -= len(kept.popleft())
            ending = b"".join(kept)[-tail:] if tail else b""
            cut = self.produced - min(self.produced, head) - len(ending)
            if cut:
                out.write(f"\n[... {cut} bytes of output cut ...]\n".encode())
            out.write(ending)


def feed(pipe: IO[bytes], data: bytes) -> None:
    """Write `data` to a child's stdin from a thread of its own, then close it."""

    def write() -> None:
        try:
            with pipe:
                pipe.write(data)
        except OSError:
            pass

    threading.Thread(target=write, daemon=True, name="stdin").start()


def tail(path: Path, lines: int = 15, most: int = 64 * 1024) -> str:
    """The last `lines` lines of a log, read from its last `most` bytes ("" if unreadable)."""
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
