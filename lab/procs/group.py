"""A child in a process group (a session on POSIX) of its own, and stopping a process tree.

`spawn_group` starts a lab, a server or a sandboxed command so that `stop_tree` can stop it and
everything it started: the group is asked to stop (SIGTERM; Ctrl-Break on Windows), and after
the grace what is left of its tree, and of its session, is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from lab.procs.output import Bound, Pump, feed, tail


@dataclass
class Child:
    """A process `spawn_group` started in a process group of its own, its output in `log`."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    pump: Pump | None = None  # the thread that writes a bounded log (`Bound`)
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def produced(self) -> int | None:
        """Bytes it printed in all (None: its log is not bounded, so not counted)."""
        return None if self.pump is None else self.pump.produced

    def exit_code(self) -> int | None:
        """Its exit code once it ended, else None."""
        return self.proc.poll()

    def wait(self, timeout: float) -> int | None:
        """Its exit code, or None if it still runs after `timeout` seconds."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.proc.wait(max(timeout, 0.05))
        return None

    def tail(self, lines: int = 15) -> str:
        return tail(self.log, lines)

    def listens_on(self, port: int) -> bool | None:
        """Whether it or a process it started listens on `port` (None: the OS will not say)."""
        try:
            root = psutil.Process(self.proc.pid)
            family = [root, *root.children(recursive=True)]
        except psutil.Error:
            return False
        unknown = False
        for proc in family:
            try:
                conns = proc.net_connections(kind="inet")
            except psutil.AccessDenied:
                unknown = True
                continue
            except psutil.Error:
                continue
            if any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
                   for c in conns):  # fmt: skip
                return True
        return None if unknown else False

    def _drain(self) -> None:
        """After it ended: let the pump write the log's end, close the pipe."""
        if self.pump is not None:
            self.pump.join(10.0)
        with contextlib.suppress(OSError, ValueError):
            if self.proc.stdout is not None:
                self.proc.stdout.close()


def spawn_group(
    name: str, args: Sequence[str], *, cwd: Path | None, env: Mapping[str, str], log: Path,
    append: bool = False, bound: Bound | None = None, stdin: bytes | None = None,
    pass_fds: Sequence[int] = (),
) -> Child:  # fmt: skip
    """Start `args` as `name` in a new process group (a session on POSIX), stdout and stderr
    into `log` (as printed, or `bound`ed), stdin closed or fed `stdin`; the descriptors in
    `pass_fds` are handed to it and closed here. `stop_tree` stops it and all it started."""
    log.parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"start_new_session": True, "pass_fds": tuple(pass_fds)}
    if sys.platform == "win32":
        kwargs = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    kwargs["stdin"] = subprocess.DEVNULL if stdin is None else subprocess.PIPE
    try:
        if bound is None:
            with log.open("ab" if append else "wb") as out:
                proc = subprocess.Popen(list(args), cwd=cwd, env=dict(env), stdout=out,
                                        stderr=subprocess.STDOUT, **kwargs)  # fmt: skip
        else:
            proc = subprocess.Popen(list(args), cwd=cwd, env=dict(env), stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, **kwargs)  # fmt: skip
    finally:
        for fd in pass_fds:
            os.close(fd)
    pump = None
    if bound is not None:
        assert proc.stdout is not None
        pump = Pump(proc.stdout, log, bound)
        pump.start()
    if stdin is not None and proc.stdin is not None:
        feed(proc.stdin, stdin)
    return Child(name, proc, log, pump)


def stop_tree(child: Child, grace: float = 10.0, *, kill_after: float = 3.0) -> None:
    """Stop a child and every process it started: ask its group to stop (SIGTERM; Ctrl-Break
    on Windows), wait `grace` s, then terminate what is left of the tree it had, kill it after
    `kill_after` s, and kill what is left in its session (POSIX)."""
    proc = child.proc
    began = time.time()
    # Only while `proc` is not reaped does its PID surely name it (PIDs wrap around): once it
    # ended, what it left was its own to stop, and another program may have its number.
    with contextlib.suppress(psutil.Error):
        if proc.poll() is None:
            root = psutil.Process(proc.pid)
            family = [*root.children(recursive=True), root]
            _ask_group(proc)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(grace)
            stop_processes([p for p in family if alive(p)], grace=kill_after)
    with contextlib.suppress(subprocess.TimeoutExpired, OSError):
        proc.wait(5)
    if proc.poll() is not None:
        _kill_session(proc.pid, began)
    child._drain()


def _ask_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to its process group (its PID: it leads it), Ctrl-Break on Windows."""
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            proc.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
        else:
            os.killpg(proc.pid, signal.SIGTERM)


def _kill_session(sid: int, before: float) -> None:
    """Kill what is left in session `sid` (its leader is reaped) that started before `before`.
    A process that has the leader's number now is another program's, and so is its session."""
    if sys.platform == "win32" or psutil.pid_exists(sid):
        return
    for p in psutil.process_iter(["create_time"]):
        with contextlib.suppress(OSError, psutil.Error):
            if p.pid != os.getpid() and os.getsid(p.pid) == sid and p.info["create_time"] <= before:
                p.kill()


def alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def stop_processes(procs: Iterable[psutil.Process], grace: float = 5.0) -> list[psutil.Process]:
    """SIGTERM (TerminateProcess on Windows) all, wait `grace`, SIGKILL survivors.

    Returns the processes still alive after that (normally none).
    """
    left = [p for p in procs if alive(p)]
    for action in ("terminate", "kill"):
        for proc in left:
            with contextlib.suppress(psutil.Error):
                getattr(proc, action)()
        left = wait_gone(left, grace)
        if not left:
            break
    return left


def wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until none runs (a zombie counts as gone: its parent reaps it); return the rest."""
    deadline = time.monotonic() + timeout
    left = procs
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [p for p in left if alive(p)]
    return left


def tree_rss(proc: psutil.Process) -> int:
    """Resident memory of `proc` and its descendants, in bytes (0 for what has gone)."""
    total = 0
    with contextlib.suppress(psutil.Error):
        for p in [proc, *proc.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
    return total


def peak_rss(child: Child, every: float = 0.02) -> int:
    """Wait until `child` exits, sampling its tree's resident memory every `every` s; the
    highest sample, in bytes."""
    peak = 0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(child.pid)
        while child.exit_code() is None:
            peak = max(peak, tree_rss(root))
            time.sleep(every)
    child.proc.wait()
    return peak
