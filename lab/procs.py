"""Child processes, the same way on every OS: a wrapper's child in the foreground
(`run_foreground`), and the one way to run a lab (or any server) as a child: `spawn_group` starts
it in a process group of its own, `wait_http` waits for a 2xx from it (or its exit, with its log
tail), `stop_tree` stops it and everything it started."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

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


# ---- child labs and process trees: the one way to start one, wait for it and stop it -------


@dataclass
class Child:
    """A process `spawn_group` started in a process group of its own, its output in `log`."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def exit_code(self) -> int | None:
        """Its exit code once it ended, else None."""
        return self.proc.poll()

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


def spawn_group(
    name: str, args: Sequence[str], *, cwd: Path | None, env: Mapping[str, str], log: Path,
    append: bool = False,
) -> Child:  # fmt: skip
    """Start `args` as `name` in a new process group (a session on POSIX), stdin closed,
    stdout and stderr into `log`: `stop_tree` can then stop it and all it started."""
    log.parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"start_new_session": True}
    if sys.platform == "win32":
        kwargs = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    with log.open("ab" if append else "wb") as out:
        proc = subprocess.Popen(
            list(args), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, **kwargs,
        )  # fmt: skip
    return Child(name, proc, log)


class NotReady(RuntimeError):
    """A child that exited, or gave no 2xx in time; the message ends with its log's tail."""


@dataclass(frozen=True)
class Answer:
    """What `wait_http` saw: `ok` is a 2xx from the named process."""

    url: str
    ok: bool
    seconds: float
    status: int | None = None  # the last HTTP status seen (None: nothing answered)
    exit_code: int | None = None  # the child's, when it exited while waited for
    why: str = ""  # why not ok, with the child's log tail

    def check(self) -> Answer:
        """This answer, or `NotReady` with the reason when it is not ok."""
        if not self.ok:
            raise NotReady(self.why)
        return self


def wait_http(
    url: str, timeout: float, child: Child | None = None, *, interval: float = 0.25,
    request_timeout: float = 2.0,
) -> Answer:  # fmt: skip
    """Wait until `url` answers 2xx; with `child`, the answer must come from it (it or a process
    it started listens on the URL's port) and its exit ends the wait (its log tail says why)."""
    import httpx  # here: a wrapper such as `lab prometheus` imports this module and waits on none

    started = time.monotonic()
    port = _port(url)
    status: int | None = None
    other = False
    while True:
        if child is not None and child.exit_code() is not None:
            code = child.exit_code()
            return Answer(url, False, time.monotonic() - started, status, code,
                          f"{child.name} exited with code {code}:\n{child.tail()}")  # fmt: skip
        try:
            status = httpx.get(url, timeout=request_timeout).status_code
        except httpx.HTTPError:
            status = None
        if status is not None and 200 <= status < 300:
            other = child is not None and child.listens_on(port) is False
            if not other:
                return Answer(url, True, time.monotonic() - started, status)
        elapsed = time.monotonic() - started
        if elapsed >= timeout:
            break
        time.sleep(min(interval, max(timeout - elapsed, 0.0)))
    name = child.name if child is not None else url
    if other:
        seen = f"port {port} is answered by another process, not by {name}"
    else:
        seen = "no answer" if status is None else f"last status {status}"
    why = f"{name} gave no 2xx at {url} within {timeout:g} s ({seen})"
    return Answer(url, False, time.monotonic() - started, status, None,
                  why + (f":\n{child.tail()}" if child is not None else ""))  # fmt: skip


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def stop_tree(child: Child | subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop a child and every process it started: ask it to stop (SIGTERM; Ctrl-Break on
    Windows), wait `grace` s, then terminate and kill what is left of the tree it had."""
    proc = child.proc if isinstance(child, Child) else child
    # Only while `proc` is not reaped does its PID surely name it (PIDs wrap around): once it
    # ended, what it left was its own to stop, and another program may have its number.
    with contextlib.suppress(psutil.Error):
        if proc.poll() is None:
            root = psutil.Process(proc.pid)
            family = [*root.children(recursive=True), root]
            _ask_to_stop(proc)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(grace)
            stop_processes([p for p in family if alive(p)], grace=3.0)
    with contextlib.suppress(subprocess.TimeoutExpired, OSError):
        proc.wait(5)


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


def tail(path: Path, lines: int = 15) -> str:
    """The last `lines` lines of a log file ("" when it cannot be read)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def quote_arg(value: str) -> str:
    """`value` quoted for a Windows command line (as subprocess quotes it)."""
    return subprocess.list2cmdline([value])
