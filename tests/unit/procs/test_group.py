"""`lab.procs.spawn_group`, `wait_http` and `stop_tree`: the one way to run a lab (or any server)
as a child. Real small processes: an http.server, a child that exits, a tree that ignores SIGTERM.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from lab import procs
from lab.net import free_ports
from tests.support import REPO, wait_until

TREE_CHILD = REPO / "tests" / "unit" / "orchestration" / "tree_child.py"


def _server(tmp_path: Path, port: int, name: str = "web") -> procs.Child:
    (tmp_path / "health").write_text("ok", encoding="utf-8")
    args = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    return procs.spawn_group(name, args, cwd=tmp_path, env=os.environ, log=tmp_path / f"{name}.log")


@pytest.fixture
def children() -> Iterator[list[procs.Child]]:
    started: list[procs.Child] = []
    yield started
    for child in started:
        procs.stop_tree(child, grace=2.0)


def test_a_2xx_from_the_child_is_ready(tmp_path: Path, children: list[procs.Child]) -> None:
    (port,) = free_ports(1)
    child = _server(tmp_path, port)
    children.append(child)
    answer = procs.wait_http(f"http://127.0.0.1:{port}/health", 60, child)
    assert answer.ok and answer.status == 200, answer.why
    assert child.listens_on(port) is True
    assert answer.check() is answer


def test_a_non_2xx_is_not_ready(tmp_path: Path, children: list[procs.Child]) -> None:
    (port,) = free_ports(1)
    child = _server(tmp_path, port)
    children.append(child)
    procs.wait_http(f"http://127.0.0.1:{port}/health", 60, child).check()
    answer = procs.wait_http(f"http://127.0.0.1:{port}/missing", 0.5, child)
    assert not answer.ok and answer.status == 404
    assert "last status 404" in answer.why
    with pytest.raises(procs.NotReady, match="gave no 2xx"):
        answer.check()


def test_an_exit_ends_the_wait_with_the_log_tail(tmp_path: Path) -> None:
    code = "import sys; print('cannot bind: address in use', flush=True); sys.exit(3)"
    child = procs.spawn_group(
        "api", [sys.executable, "-c", code], cwd=tmp_path, env=os.environ, log=tmp_path / "a.log"
    )
    answer = procs.wait_http("http://127.0.0.1:9/health", 120, child)
    assert not answer.ok and answer.exit_code == 3
    assert "api exited with code 3" in answer.why
    assert "cannot bind: address in use" in answer.why


def test_another_process_on_the_port_is_not_the_child(
    tmp_path: Path, children: list[procs.Child]
) -> None:
    """The API started on another port (an exported API_PORT) while something else answers on
    the port waited on: not ready, and the reason says so."""
    (port,) = free_ports(1)
    other = _server(tmp_path, port, "other")
    children.append(other)
    procs.wait_http(f"http://127.0.0.1:{port}/health", 60, other).check()
    idle = [sys.executable, "-c", "import time; time.sleep(60)"]
    child = procs.spawn_group("api", idle, cwd=tmp_path, env=os.environ, log=tmp_path / "i.log")
    children.append(child)
    answer = procs.wait_http(f"http://127.0.0.1:{port}/health", 1.0, child)
    assert not answer.ok
    assert f"port {port} is answered by another process, not by api" in answer.why


def test_without_a_child_any_2xx_counts(tmp_path: Path, children: list[procs.Child]) -> None:
    (port,) = free_ports(1)
    children.append(_server(tmp_path, port))
    assert procs.wait_http(f"http://127.0.0.1:{port}/health", 60).ok
    assert not procs.wait_http(f"http://127.0.0.1:{free_ports(1)[0]}/", 0.3).ok


def test_stop_tree_stops_the_whole_tree(tmp_path: Path) -> None:
    """A child with two levels below it, the deepest ignoring SIGTERM: none is left."""
    pidfile = tmp_path / "pids"
    args = [sys.executable, str(TREE_CHILD), str(pidfile), "--depth", "2", "--ignore-term"]
    child = procs.spawn_group("tree", args, cwd=tmp_path, env=os.environ, log=tmp_path / "t.log")
    pidfile.touch()
    wait_until(lambda: len(pidfile.read_text().split()) == 3, 60, "three processes")
    pids = [int(p) for p in pidfile.read_text().split()]
    procs.stop_tree(child, grace=1.0)
    assert child.exit_code() is not None
    left = [p for p in pids if psutil.pid_exists(p) and procs.alive(psutil.Process(p))]
    assert left == []


def test_stop_tree_of_an_ended_child_is_a_no_op(tmp_path: Path) -> None:
    child = procs.spawn_group(
        "done", [sys.executable, "-c", "pass"], cwd=tmp_path, env=os.environ, log=tmp_path / "d"
    )
    child.proc.wait(60)
    procs.stop_tree(child)
    assert child.exit_code() == 0


def test_tail_reads_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("\n".join(str(i) for i in range(30)), encoding="utf-8")
    assert procs.tail(log, 3) == "27\n28\n29"
    assert procs.tail(tmp_path / "missing.log") == ""


def test_wait_each_counts_any_status_and_shares_one_deadline(
    tmp_path: Path, children: list[procs.Child]
) -> None:
    (port,) = free_ports(1)
    child = _server(tmp_path, port)
    children.append(child)
    base = f"http://127.0.0.1:{port}"
    procs.wait_http(f"{base}/health", 60, child).check()
    urls = {"up": f"{base}/health", "missing": f"{base}/missing", "dead": "http://127.0.0.1:9/"}
    answers = procs.wait_each(urls, 1.0, child, any_status=True)
    assert answers["up"].ok and answers["missing"].ok and answers["missing"].status == 404
    assert not answers["dead"].ok and "gave no answer" in answers["dead"].why
    strict = procs.wait_each({"missing": f"{base}/missing"}, 0.3, child)
    assert not strict["missing"].ok


def test_stop_tree_kills_what_left_the_tree_but_not_the_session(tmp_path: Path) -> None:
    """A grandchild whose parent exited (reparented, out of the tree) still dies with its
    session; it ignores SIGTERM."""
    pidfile = tmp_path / "orphan"
    orphan_code = (
        "import os, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "open(sys.argv[1], 'w').write(str(os.getpid()))\n"
        "time.sleep(120)\n"
    )
    (tmp_path / "orphan.py").write_text(orphan_code, encoding="utf-8")
    code = (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, {str(tmp_path / 'orphan.py')!r}, {str(pidfile)!r}])\n"
    )
    child = procs.spawn_group(
        "parent", [sys.executable, "-c", code], cwd=tmp_path, env=os.environ, log=tmp_path / "p"
    )
    wait_until(lambda: pidfile.is_file() and pidfile.read_text() != "", 30, "the orphan")
    orphan = psutil.Process(int(pidfile.read_text()))
    child.proc.wait(60)  # the parent exited: the orphan is no longer below it
    procs.stop_tree(child)
    if sys.platform != "win32":
        assert procs.wait_gone([orphan], 10) == []
    else:  # pragma: no cover - Windows has no sessions to sweep
        procs.stop_processes([orphan])


def test_a_bounded_log_keeps_the_head_and_the_tail(tmp_path: Path) -> None:
    code = "import sys; sys.stdout.write('H' * 100 + 'x' * 10_000 + 'END'); sys.stdout.flush()"
    args = [sys.executable, "-c", code]
    log = tmp_path / "l"
    child = procs.spawn_group(
        "loud", args, cwd=tmp_path, env=os.environ, log=log, bound=procs.Bound(100, 3)
    )
    child.wait(60)
    procs.stop_tree(child)
    text = (tmp_path / "l").read_text()
    assert text.startswith("H" * 100) and text.endswith("END") and "10000 bytes" in text
    assert child.produced == 10_103


def test_peak_rss_sees_the_trees_highest_memory(tmp_path: Path) -> None:
    """A child that holds 64 MiB for a moment, then frees it and exits."""
    code = "import time; b = bytearray(64 * 2**20); time.sleep(0.5); del b; time.sleep(0.2)"
    child = procs.spawn_group(
        "mem", [sys.executable, "-c", code], cwd=tmp_path, env=os.environ, log=tmp_path / "m"
    )
    peak = procs.peak_rss(child)
    assert child.exit_code() == 0
    assert peak >= 64 * 2**20
    assert procs.tree_rss(psutil.Process()) > 0
