"""The supervisor with real processes and a fake clock: restart, crash, stop/start one, stop all."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psutil
import pytest

from lab.orchestration.output import Output, log_path
from lab.orchestration.policy import Phase
from lab.orchestration.procfile import quote
from lab.orchestration.supervisor import Supervisor
from tests.support import wait_until
from tests.unit.orchestration.conftest import TREE_CHILD, pids_in, running, wait_for_pids

PY = quote(sys.executable)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _tree(tmp_path: Path, name: str, args: str = "--depth 1") -> str:
    return f"{PY} {quote(str(TREE_CHILD))} {quote(str(tmp_path / name))} {args}"


@pytest.fixture
def make(tmp_path: Path):
    made: list[Supervisor] = []

    def make(processes: dict[str, str], **kwargs) -> Supervisor:
        run = tmp_path / "run"
        out = Output(run, list(processes), None)
        # a short grace: the trees that ignore SIGTERM are killed after it, as after lab up's 5 s
        kwargs.setdefault("grace", 0.5)
        sup = Supervisor(processes, run, dict(os.environ), out, clock=Clock(), **kwargs)
        made.append(sup)
        return sup

    yield make
    for sup in made:
        assert sup.stop_all() == []
        sup.output.close()


def _tick_until(sup: Supervisor, what: str, check, timeout: float = 30) -> None:
    wait_until(lambda: (sup.tick(), check())[1], timeout, what, interval=0.05)


def test_an_exit_is_restarted_after_the_backoff_of_the_clock(tmp_path, make):
    sup = make({"web": _tree(tmp_path, "web", "--depth 0")})
    sup.start_all()
    (pid,) = wait_for_pids(tmp_path / "web", 1)
    psutil.Process(pid).kill()
    web = sup.procs["web"]
    _tick_until(sup, "the exit to be seen", lambda: web.machine.phase is Phase.RESTARTING)
    if sys.platform != "win32":
        assert web.machine.last_exit == -9
    sup.tick()
    assert web.machine.phase is Phase.RESTARTING  # the clock has not moved: no restart yet
    sup.clock.now += 1.0
    sup.tick()
    assert web.machine.phase is Phase.STARTING and web.machine.restarts == 1
    (_, new) = wait_for_pids(tmp_path / "web", 2)
    assert new != pid and running(new)
    assert web.view().pid == web.child.pid and web.view().restarts == 1
    assert "restarting in 1 s" in log_path(sup.run_dir, "web").read_text()


def test_a_process_that_exits_at_once_ends_crashed_with_its_log_while_others_run(tmp_path, make):
    crashes: list[tuple[str, str]] = []
    code = quote("import sys; print('boom: no config'); sys.exit(3)")
    bad = f"{PY} -c {code}"
    sup = make({"web": _tree(tmp_path, "web"), "bad": bad}, on_crash=lambda *a: crashes.append(a))
    sup.start_all()
    web_pids = wait_for_pids(tmp_path / "web", 2)
    machine = sup.procs["bad"].machine
    for _ in range(60):
        sup.tick()
        if machine.phase is Phase.CRASHED:
            break
        if machine.phase is Phase.RESTARTING:
            sup.clock.now = machine.retry_at or sup.clock.now
        wait_until(lambda: sup.procs["bad"].child.poll() is not None, 10, "bad to exit", 0.02)
    assert machine.phase is Phase.CRASHED and machine.restarts == 4
    assert [name for name, _ in crashes] == ["bad"]
    assert "boom: no config" in crashes[0][1]
    assert "python -m lab start bad" in sup.procs["bad"].detail
    sup.clock.now += 3600
    sup.tick()
    assert machine.phase is Phase.CRASHED  # never restarted by itself
    assert sup.procs["web"].machine.running and all(running(p) for p in web_pids)


def test_stop_one_keeps_it_stopped_and_leaves_none_of_its_tree(tmp_path, make):
    sup = make(
        {"web": _tree(tmp_path, "web", "--depth 2 --ignore-term"), "db": _tree(tmp_path, "db")}
    )
    sup.start_all()
    web = wait_for_pids(tmp_path / "web", 3)
    db = wait_for_pids(tmp_path / "db", 2)
    assert sup.stop("web") == []
    assert not any(running(p) for p in web)
    sup.clock.now += 3600
    sup.tick()
    assert sup.procs["web"].machine.phase is Phase.STOPPED and sup.procs["web"].view().pid is None
    assert all(running(p) for p in db)
    sup.start("web")
    assert sup.procs["web"].machine.phase is Phase.STARTING
    assert len(wait_for_pids(tmp_path / "web", 6)) == 6


def test_stop_all_leaves_no_process_and_a_missing_tool_holds_none(tmp_path, make):
    sup = make(
        {"web": _tree(tmp_path, "web", "--depth 2"), "grafana": f"{PY} -c pass"},
        missing={"grafana": "get it: `lab fetch grafana`"},
    )
    sup.start_all()
    pids = wait_for_pids(tmp_path / "web", 3)
    assert sup.procs["grafana"].child is None
    assert sup.procs["grafana"].view().state == "missing tool"
    assert {p.pid for p in sup.pids()} >= set(pids)
    assert sup.rss()["web"] > 0 and sup.rss()["grafana"] == 0
    assert sup.stop_all() == []
    assert not any(running(p) for p in pids_in(tmp_path / "web"))
    assert sup.procs["grafana"].machine.phase is Phase.MISSING


def test_each_process_has_its_own_log_and_the_lab_log_has_them_all(tmp_path, make):
    code = quote("print('hello from one')")
    show = f"{PY} -c {code}"
    sup = make({"one": show, "two": _tree(tmp_path, "two", "--depth 0")})
    sup.start_all()
    _tick_until(sup, "one to exit", lambda: sup.procs["one"].machine.phase is Phase.RESTARTING)
    assert "hello from one" in log_path(sup.run_dir, "one").read_text()
    assert "hello from one" not in log_path(sup.run_dir, "two").read_text()
    assert "one | hello from one" in (sup.run_dir / "lab.log").read_text()
