"""Turn Ctrl-C, SIGTERM (and SIGHUP / Ctrl-Break where they exist) into one stop request."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator


def stop_signals() -> list[signal.Signals]:
    sigs = [signal.SIGINT, signal.SIGTERM]
    if sys.platform == "win32":
        sigs.append(signal.SIGBREAK)  # type: ignore[attr-defined]
    else:
        sigs.append(signal.SIGHUP)  # the terminal closed
    return sigs


@contextlib.contextmanager
def stop_requested(restore: bool = True) -> Iterator[threading.Event]:
    """An event set by the first stop signal; handlers are restored on exit, or with
    `restore=False` the stop signals are ignored from then on (`lab up`: it exits right after
    stopping, and a late Ctrl-C must not kill it while it prints its last lines or while the
    interpreter shuts down, which puts back the default handler of any signal not ignored).

    A second Ctrl-C while stopping is ignored on purpose: stopping always finishes, so no
    process is left behind by an impatient second press.
    """
    event = threading.Event()

    def handler(signum: int, _frame: object) -> None:
        event.set()

    previous = {sig: signal.signal(sig, handler) for sig in stop_signals()}
    try:
        yield event
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if restore else signal.SIG_IGN)
