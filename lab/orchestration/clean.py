"""`lab clean`: remove LAB_HOME, refusing folders that are plainly not a lab runtime folder."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from collections.abc import Callable
from pathlib import Path


class UnsafeToRemove(ValueError):
    pass


def check_removable(home: Path, cwd: Path | None = None) -> None:
    """Raise `UnsafeToRemove` when `home` is a root, your home, the working folder or above it,
    or holds a project (a `.git` or `pyproject.toml`): a wrong LAB_HOME must not cost you work."""
    home = home.resolve()
    cwd = (cwd or Path.cwd()).resolve()
    if home == Path(home.anchor) or home == Path.home().resolve():
        raise UnsafeToRemove(f"LAB_HOME is {home}; refusing to remove a root or home folder")
    if home == cwd or home in cwd.parents:
        raise UnsafeToRemove(f"LAB_HOME {home} holds the working folder; refusing to remove it")
    for marker in (".git", "pyproject.toml"):
        if (home / marker).exists():
            raise UnsafeToRemove(f"LAB_HOME {home} holds {marker}: it looks like a project")


def size(home: Path) -> int:
    """Bytes under `home` (files only; unreadable entries are skipped)."""
    total = 0
    for root, _, files in os.walk(home):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                continue
    return total


def remove(home: Path) -> None:
    """Remove `home`; read-only files (Windows, Git objects) are made writable first."""

    def _retry(
        func: Callable[[str], object], path: str, _exc: object
    ) -> None:  # shutil onexc/onerror signature
        Path(path).chmod(stat.S_IWRITE)
        func(path)

    if sys.version_info >= (3, 12):
        shutil.rmtree(home, onexc=_retry)
    else:
        shutil.rmtree(home, onerror=_retry)
