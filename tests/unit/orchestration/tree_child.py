"""A stand-in for a lab process with a child of its own (as `lab mlflow` -> uvicorn).

    python tree_child.py PIDFILE [--depth N] [--ignore-term]

Writes its PID to PIDFILE (one line per process, appended), starts a child one level deeper
while depth > 0, then sleeps. With --ignore-term the deepest process ignores SIGTERM, so only
a kill stops it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    pidfile = Path(sys.argv[1])
    depth = int(sys.argv[sys.argv.index("--depth") + 1]) if "--depth" in sys.argv else 0
    ignore = "--ignore-term" in sys.argv
    if depth > 0:
        args = [sys.executable, __file__, str(pidfile), "--depth", str(depth - 1)]
        subprocess.Popen(args + (["--ignore-term"] if ignore else []))
    elif ignore and hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    import os

    with pidfile.open("a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()}\n")
    deadline = time.monotonic() + 600  # never outlive a test run, even when nobody stops it
    while time.monotonic() < deadline:
        time.sleep(1)


if __name__ == "__main__":
    main()
