"""A wrapper's child in the foreground (`lab mlflow`, `lab prometheus`): run it with the stop
signals passed on (`run_foreground`), or become it (`replace_or_run`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

KILL_AFTER = 10.0  # seconds a child gets to stop before it is killed


def run_foreground(
    cmd: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> int:
    """Run `cmd`, forward SIGINT/SIGTERM to it, wait, and return its exit code."""
    full_env = {**os.environ, **(env or {})}
    kwargs: dict[str, Any] = {}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    proc = subprocess.Popen(list(cmd), env=full_env, cwd=cwd, **kwargs)

    def _forward(signum: int, _frame: object) -> None:
        # Only signal here: the main thread sits in proc.wait(), which holds the lock that
        # proc.poll() needs, so waiting in this handler would always last the whole grace.
        _ask_to_stop(proc)
        timer = threading.Timer(KILL_AFTER, _kill_if_running, args=(proc,))
        timer.daemon = True
        timer.start()

    previous = {s: signal.signal(s, _forward) for s in _signals()}
    try:
        return proc.wait()
    except KeyboardInterrupt:
        terminate(proc)
        return proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def replace_or_run(
    cmd: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> int:
    """Become `cmd` (exec) where the OS can keep the PID (POSIX), else `run_foreground` it.

    A wrapper such as `lab prometheus` only writes a config and starts a binary: after the
    exec no Python process stays behind it (memory), and the supervisor's signals reach the
    binary itself."""
    if os.name != "posix":
        return run_foreground(cmd, env=env, cwd=cwd)
    sys.stdout.flush()
    sys.stderr.flush()
    if cwd is not None:
        os.chdir(cwd)
    os.execve(cmd[0], list(cmd), {**os.environ, **(env or {})})
    raise AssertionError("unreachable")  # pragma: no cover


def _signals() -> list[signal.Signals]:
    sigs = [signal.SIGINT, signal.SIGTERM]
    if sys.platform == "win32":
        sigs.append(signal.SIGBREAK)  # type: ignore[attr-defined]
    return sigs


def _ask_to_stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            proc.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
        else:
            proc.terminate()


def _kill_if_running(proc: subprocess.Popen[bytes]) -> None:
    if proc.returncode is None:
        with contextlib.suppress(OSError):
            proc.kill()


def terminate(proc: subprocess.Popen[bytes], grace: float = KILL_AFTER) -> None:
    """Ask the child to stop; kill it if it has not stopped after `grace` seconds."""
    if proc.poll() is not None:
        return
    _ask_to_stop(proc)
    deadline = time.monotonic() + grace
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.kill()


def idle_forever(message: str) -> int:
    """Print why this process has nothing to run, then wait until stopped.

    Used for a tool whose binary is missing: exiting would make honcho stop every process.
    """
    print(message, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0


def quote_arg(value: str) -> str:
    """`value` quoted for a Windows command line (as subprocess quotes it)."""
    return subprocess.list2cmdline([value])
