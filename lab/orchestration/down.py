"""`lab down`: stop the lab a `lab up` in another terminal runs, from its run record."""

from __future__ import annotations

import contextlib
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from lab.orchestration import proctree, runfile

#: `lab up` waits up to ~15 s for honcho, then 3+3 s for stragglers; allow for all of it.
OWNER_GRACE = 30.0


@dataclass
class DownResult:
    owner_pid: int
    owner_was_running: bool
    swept: list[int] = field(default_factory=list)  # leftovers `lab down` had to stop itself
    survivors: list[int] = field(default_factory=list)


def down(run_dir: Path) -> DownResult | None:
    """Stop the recorded `lab up` and everything it started; None when nothing is recorded.

    POSIX: SIGTERM to `lab up`, which stops its tree cleanly (as Ctrl-C does). Windows has no
    SIGTERM between consoles, so the tree is terminated from here. Either way, any recorded
    process still alive afterwards (say `lab up` was killed with SIGKILL) is stopped too.
    """
    rec = runfile.read(run_dir)
    if rec is None:
        return None
    owner = rec.owner.live()
    result = DownResult(rec.pid, owner is not None)
    leftovers = [p for p in (c.live() for c in rec.children) if p is not None]
    if owner is not None:
        with contextlib.suppress(psutil.Error):
            leftovers += owner.children(recursive=True)
        if sys.platform == "win32":
            proctree.stop([owner, *leftovers])
        else:
            with contextlib.suppress(psutil.Error):
                owner.send_signal(signal.SIGTERM)
            proctree.wait_gone([owner], OWNER_GRACE)
    still = [p for p in leftovers if proctree.alive(p)]
    result.swept = [p.pid for p in still]
    result.survivors = [p.pid for p in proctree.stop(still)]
    if owner is not None and proctree.alive(owner):
        result.survivors += [p.pid for p in proctree.stop([owner])]
    runfile.remove(run_dir)
    return result
