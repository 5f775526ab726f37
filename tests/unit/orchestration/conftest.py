from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from tests.support import wait_until

TREE_CHILD = Path(__file__).with_name("tree_child.py")


def pids_in(pidfile: Path) -> list[int]:
    if not pidfile.exists():
        return []
    return [int(line) for line in pidfile.read_text().split()]


def wait_for_pids(pidfile: Path, count: int) -> list[int]:
    wait_until(lambda: len(pids_in(pidfile)) >= count, 30, f"{count} processes to start")
    return pids_in(pidfile)


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.fixture
def spawn_tree(tmp_path: Path) -> Iterator[Callable[..., tuple[subprocess.Popen, list[int]]]]:
    """Start tree_child.py with `depth` descendants; kill anything left at the end."""
    started: list[psutil.Process] = []
    roots: list[subprocess.Popen] = []

    def spawn(depth: int = 1, ignore_term: bool = False) -> tuple[subprocess.Popen, list[int]]:
        pidfile = tmp_path / f"pids-{len(started)}.txt"
        args = [sys.executable, str(TREE_CHILD), str(pidfile), "--depth", str(depth)]
        proc = subprocess.Popen(args + (["--ignore-term"] if ignore_term else []))
        roots.append(proc)
        pids = wait_for_pids(pidfile, depth + 1)
        started.extend(psutil.Process(pid) for pid in pids)
        return proc, pids

    yield spawn
    for proc in started:  # psutil refuses to signal a PID that another process now has
        with contextlib.suppress(psutil.Error):
            proc.kill()
    for root in roots:  # reaped: no zombie, no "still running" warning
        with contextlib.suppress(subprocess.TimeoutExpired):
            root.wait(10)
