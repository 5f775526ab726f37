"""`lab down`: stop the lab a `lab up` in another terminal runs, from its run record."""

from __future__ import annotations

import contextlib
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from lab.orchestration import control, proctree, runfile

#: `lab up` gives each process 5 s, then 2 s after a kill; allow for all of it.
OWNER_GRACE = 30.0
ANSWER_WITHIN = 3.0  # `lab up` reads its control folder four times a second


@dataclass
class DownResult:
    owner_pid: int
    owner_was_running: bool
    swept: list[int] = field(default_factory=list)  # leftovers `lab down` had to stop itself
    survivors: list[int] = field(default_factory=list)


def down(run_dir: Path) -> DownResult | None:
    """Stop the recorded `lab up` and everything it started; None when nothing is recorded.

    POSIX: SIGTERM to `lab up`, which stops its tree cleanly (as Ctrl-C does). Windows has no
    SIGTERM between consoles, so `lab up` is asked through its control folder (as `lab stop`
    asks it). Either way, any recorded process still alive afterwards (say `lab up` was killed
    with SIGKILL) is stopped from here.
    """
    rec = runfile.read(run_dir)
    if rec is None:
        return None
    # only what is still the lab's (start time, command line, user): a forged record stops nothing
    owner = rec.owner.verified()
    result = DownResult(rec.pid, owner is not None)
    leftovers = [p for p in (c.verified() for c in rec.children) if p is not None]
    if owner is not None:
        with contextlib.suppress(psutil.Error):
            leftovers += owner.children(recursive=True)
        if sys.platform != "win32":
            with contextlib.suppress(psutil.Error):
                owner.send_signal(signal.SIGTERM)
            proctree.wait_gone([owner], OWNER_GRACE)
        elif control.answered(run_dir, control.send(run_dir, "", "down"), ANSWER_WITHIN):
            proctree.wait_gone([owner], OWNER_GRACE)
        else:  # a `lab up` that reads no request: stop it from here
            proctree.stop([owner])
    still = [p for p in leftovers if proctree.alive(p)]
    result.swept = [p.pid for p in still]
    result.survivors = [p.pid for p in proctree.stop(still)]
    if owner is not None and proctree.alive(owner):
        result.survivors += [p.pid for p in proctree.stop([owner])]
    runfile.remove(run_dir)
    return result
