"""A log file that rotates by size, so `<LAB_HOME>/run/lab.log` cannot fill the disk.

`RotatingLog(path)` appends bytes; when the file would pass `max_bytes` it is closed and
renamed to `lab.log.1` (`.1` to `.2`, ..., the oldest beyond `backups` removed) and a new one
is started. Lines are never split between two files. At most (backups + 1) x max_bytes is kept.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

MAX_BYTES = 10 * 2**20
BACKUPS = 3


class RotatingLog:
    def __init__(self, path: Path, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
        if max_bytes < 1 or backups < 0:
            raise ValueError("max_bytes must be positive and backups not negative")
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO = path.open("ab")
        self._size = self._file.tell()

    def write(self, data: bytes) -> None:
        """Append `data` (one or more whole lines), rotating first if it would not fit."""
        if self._size and self._size + len(data) > self.max_bytes:
            self.rotate()
        self._file.write(data)
        self._file.flush()
        self._size += len(data)

    def rotate(self) -> None:
        self._file.close()
        # Windows: a reader holding the file open stops the rename; keep appending, retry later
        with contextlib.suppress(OSError):
            rotate_files(self.path, self.backups)
        self._file = self.path.open("ab")
        self._size = self._file.tell()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RotatingLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rotate_files(path: Path, backups: int) -> None:
    """lab.log -> lab.log.1 -> lab.log.2 ...; the oldest (beyond `backups`) is removed."""
    if backups == 0:
        path.unlink(missing_ok=True)
        return
    oldest = path.with_name(f"{path.name}.{backups}")
    with contextlib.suppress(FileNotFoundError):
        oldest.unlink()
    for n in range(backups - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{n + 1}"))
    if path.exists():
        path.replace(path.with_name(f"{path.name}.1"))


def follow(path: Path, write: Callable[[str], None], every: float = 0.25) -> None:
    """Pass on what is appended to `path` (`lab logs -f`) until interrupted; start over when it
    was rotated (it got smaller)."""
    position = path.stat().st_size if path.exists() else 0
    while True:
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        if size < position:
            position = 0
        if size > position:
            with path.open("rb") as fh:
                fh.seek(position)
                data = fh.read()
            position += len(data)
            write(data.decode("utf-8", "replace"))
        time.sleep(every)
