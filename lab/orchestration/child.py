"""One Procfile process started by `lab up`: spawn it, read its output, stop its whole tree.

Each process runs in its own session (POSIX) or process group (Windows), so a Ctrl-C or a
closed terminal reaches only `lab up`, which then stops every process in order. No shell runs
between `lab up` and the command (a Procfile line holds no shell syntax), so the PID shown by
`lab status` is the process itself.

Stopping, POSIX: SIGTERM to the process group, SIGKILL to what is left after the grace; any
descendant seen earlier that left the group (a daemon that called setsid) is stopped too.
Windows: CTRL_BREAK_EVENT to the group (Python and uvicorn stop cleanly on it), then every
remembered process of the tree is terminated (TerminateProcess) after the grace.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

import psutil

from lab.orchestration import proctree

GRACE = 5.0  # seconds between the polite stop and the kill


def argv(command: str) -> list[str] | str:
    """The command as Popen takes it without a shell: a list on POSIX, the line on Windows."""
    return command if sys.platform == "win32" else shlex.split(command)


class Child:
    """A running process and the tree below it; `on_line` gets each line of its output."""

    def __init__(
        self,
        command: str,
        env: Mapping[str, str],
        cwd: Path | None,
        on_line: Callable[[bytes], None],
    ) -> None:
        kwargs: dict = {}
        if sys.platform == "win32":
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
        else:
            kwargs["start_new_session"] = True
        self.proc = subprocess.Popen(
            argv(command),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            **kwargs,
        )
        self.pid = self.proc.pid
        self.tree = proctree.ProcessTree(self.pid)  # its root: the process, known safely
        self._reader = threading.Thread(
            target=_pump, args=(self.proc.stdout, on_line), name=f"output-{self.pid}", daemon=True
        )
        self._reader.start()

    def poll(self) -> int | None:
        return self.proc.poll()

    def processes(self) -> list[psutil.Process]:
        """The process and every descendant seen so far that still runs."""
        self.tree.refresh()
        me = self.tree.root
        own = [me] if me is not None and proctree.alive(me) else []
        return own + self.tree.processes()

    def rss(self) -> int:
        """Resident memory of the process and its descendants, in bytes."""
        total = 0
        for proc in self.processes():
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total

    def stop(self, grace: float = GRACE) -> list[psutil.Process]:
        """Stop the tree (also after the process itself exited); return survivors."""
        procs = self.processes()
        self._ask(procs)
        left = proctree.wait_gone(procs, grace)
        survivors = proctree.stop(left, grace=min(grace, 2.0))
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(2)
        self._reader.join(2)
        return survivors

    def _ask(self, procs: list[psutil.Process]) -> None:
        if sys.platform == "win32":
            if self.proc.poll() is None:
                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
            return
        if self._group_is_ours(procs):
            with contextlib.suppress(OSError):
                os.killpg(self.pid, signal.SIGTERM)  # the group outlives its leader
        for proc in procs:  # descendants that left the group
            with contextlib.suppress(psutil.Error, OSError):
                if os.getpgid(proc.pid) != self.pid:
                    proc.terminate()

    def _group_is_ours(self, procs: list[psutil.Process]) -> bool:
        """Whether process group `pid` is still this child's: its leader is not reaped yet, or
        one of its descendants seen alive is in it. Once the leader is reaped and the group is
        empty, the number may already name another program's group (PIDs wrap around)."""
        if self.proc.poll() is None:
            return True
        for proc in procs:
            with contextlib.suppress(psutil.Error, OSError):
                if proc.is_running() and os.getpgid(proc.pid) == self.pid:
                    return True
        return False


def _pump(stream: IO[bytes], on_line: Callable[[bytes], None]) -> None:
    with stream:
        for line in iter(stream.readline, b""):
            on_line(line)
