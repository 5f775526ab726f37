"""A learner's workspace is copied only within bounds: size, file count, time, no way out.

Before anything is copied the tree is measured: every file counts with the larger of its size
(`st_size`: a 1 TiB sparse file is 1 TiB) and what it takes on disk (`st_blocks`), and both
the total and the number of files are capped. A symlink that leads outside the workspace (to
an instructor's file, say) is refused, as are device files, sockets and FIFOs. The copy itself
runs against the learner's deadline. A learner over a bound gets `error` with the reason.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CopyRefused", "Limits", "copy_tree", "measure"]


class CopyRefused(RuntimeError):
    """The workspace breaks a bound; the message says which and how to fix it."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 512 * 1024 * 1024
    max_files: int = 20_000


def _walk(root: Path, ignored: tuple[str, ...]) -> Iterator[tuple[Path, os.stat_result]]:
    """Every entry under `root` (not following symlinks), folders before what they hold."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            raise CopyRefused(f"cannot read {folder}: {exc.strerror}") from None
        for entry in entries:
            if entry.name in ignored:
                continue
            path = Path(entry.path)
            info = entry.stat(follow_symlinks=False)
            yield path, info
            if stat.S_ISDIR(info.st_mode):
                stack.append(path)


def _inside(root: Path, link: Path) -> bool:
    target = (link.parent / link.readlink()).resolve()
    return target == root or root in target.parents


def measure(root: Path, ignored: tuple[str, ...], limits: Limits) -> tuple[int, int]:
    """(bytes, files) of `root`; `CopyRefused` past a bound, for a symlink leading out of it,
    or for a special file."""
    root = root.resolve()
    total = files = 0
    for path, info in _walk(root, ignored):
        rel = path.relative_to(root).as_posix()
        mode = info.st_mode
        if stat.S_ISLNK(mode):
            if not _inside(root, path):
                raise CopyRefused(
                    f"{rel} is a symlink to {path.readlink()}, outside the workspace: "
                    "replace it with the file itself"
                )
        elif not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise CopyRefused(f"{rel} is not a file or a folder (a device, socket or FIFO)")
        on_disk = getattr(info, "st_blocks", 0) * 512
        total += max(info.st_size, on_disk) if stat.S_ISREG(mode) else 0
        files += 1
        if files > limits.max_files:
            raise CopyRefused(
                f"the workspace holds more than {limits.max_files} files (without "
                f"{', '.join(ignored)}): remove generated files"
            )
        if total > limits.max_bytes:
            raise CopyRefused(
                f"the workspace is larger than {limits.max_bytes // 2**20} MiB (counting "
                f"{rel} at {max(info.st_size, on_disk) // 2**20} MiB, its size or its blocks): "
                "remove data files and models, the lab makes them"
            )
    return total, files


def copy_tree(
    source: Path, dest: Path, ignored: tuple[str, ...], limits: Limits, deadline: float
) -> tuple[int, int]:
    """Measure `source`, then copy it to `dest` (symlinks kept as links, all inside it) before
    `deadline` (`time.monotonic()`); (bytes, files) copied."""
    source = source.resolve()
    measured = measure(source, ignored, limits)
    dest.mkdir(parents=True)
    for path, info in _walk(source, ignored):
        if time.monotonic() > deadline:
            raise CopyRefused("the time budget ran out while copying the workspace")
        target = dest / path.relative_to(source)
        if stat.S_ISLNK(info.st_mode):
            target.symlink_to(path.readlink())
        elif stat.S_ISDIR(info.st_mode):
            target.mkdir()
        else:
            shutil.copyfile(path, target, follow_symlinks=False)
            target.chmod(stat.S_IMODE(info.st_mode) | stat.S_IRUSR | stat.S_IWUSR)
    return measured


def check_tree(root: Path, limits: Limits) -> None:
    """A clone's tree within the bounds, no symlink out (git may hold any)."""
    measure(root, (".git",), limits)
