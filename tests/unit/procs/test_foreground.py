"""`lab.procs.foreground.run_foreground`: a wrapper (`lab mlflow`, `lab prometheus`) passes a
stop on to its child (SIGTERM on POSIX, CTRL_BREAK_EVENT on Windows), kills a child that
ignores it once the kill timer runs out, and stops the child on KeyboardInterrupt; on every OS."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from lab.procs import foreground as procs
from tests.support import REPO, wait_until

STUBBORN = Path(__file__).with_name("stubborn_child.py")
TREE_CHILD = REPO / "tests" / "unit" / "orchestration" / "tree_child.py"


def _wrapper(tmp_path: Path, child: list[str], kill_after: float = 10.0) -> subprocess.Popen:
    """`run_foreground(child)` in a process of its own, as `lab prometheus` runs it."""
    code = (
        "import sys\n"
        "from lab.procs import foreground as procs\n"
        f"procs.KILL_AFTER = {kill_after}\n"
        f"sys.exit(procs.run_foreground({child!r}))\n"
    )
    kwargs: dict = {}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        **kwargs,
    )


def _ask_to_stop(proc: subprocess.Popen) -> None:
    if sys.platform == "win32":
        os.kill(proc.pid, signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
    else:
        proc.send_signal(signal.SIGTERM)


def _pid(pidfile: Path) -> int:
    wait_until(lambda: pidfile.is_file() and pidfile.read_text().strip() != "", 30, "the child")
    return int(pidfile.read_text().split()[0])


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


@pytest.fixture
def cleanup():
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).kill()


def test_a_stop_is_passed_on_and_the_childs_exit_code_returned(tmp_path, cleanup):
    pidfile = tmp_path / "pids"
    wrapper = _wrapper(tmp_path, [sys.executable, str(TREE_CHILD), str(pidfile)])
    cleanup.append(wrapper.pid)
    child = _pid(pidfile)
    cleanup.append(child)
    _ask_to_stop(wrapper)
    code = wrapper.wait(30)
    assert _gone(child)
    if sys.platform != "win32":
        assert code % 256 == -signal.SIGTERM % 256  # the child's code, passed back


def test_a_child_that_ignores_the_stop_is_killed_when_the_timer_runs_out(tmp_path, cleanup):
    pidfile = tmp_path / "pid"
    wrapper = _wrapper(tmp_path, [sys.executable, str(STUBBORN), str(pidfile)], kill_after=1.0)
    cleanup.append(wrapper.pid)
    child = _pid(pidfile)
    cleanup.append(child)
    _ask_to_stop(wrapper)
    code = wrapper.wait(30)
    assert _gone(child)
    if sys.platform != "win32":
        assert code % 256 == -signal.SIGKILL % 256


def test_keyboard_interrupt_stops_the_child(tmp_path, monkeypatch, cleanup):
    pidfile = tmp_path / "pids"
    real_wait = subprocess.Popen.wait
    calls = []

    def wait(self, timeout=None):
        calls.append(timeout)
        if len(calls) == 1:
            _pid(pidfile)  # the child runs: now the Ctrl-C arrives
            raise KeyboardInterrupt
        return real_wait(self, timeout)

    monkeypatch.setattr(subprocess.Popen, "wait", wait)
    monkeypatch.setattr(procs, "KILL_AFTER", 5.0)
    before = {s: signal.getsignal(s) for s in procs._signals()}
    code = procs.run_foreground([sys.executable, str(TREE_CHILD), str(pidfile)])
    child = int(pidfile.read_text().split()[0])
    cleanup.append(child)
    assert _gone(child)
    assert code != 0
    assert {s: signal.getsignal(s) for s in procs._signals()} == before  # handlers put back
