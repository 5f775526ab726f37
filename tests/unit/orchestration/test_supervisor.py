"""honcho under `lab up`'s supervisor: a real Procfile, a real tree, nothing left after stop."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lab.orchestration.procfile import quote
from lab.orchestration.supervisor import Supervisor
from tests.support import wait_until
from tests.unit.orchestration.conftest import TREE_CHILD, pids_in, running, wait_for_pids


def _procfile(tmp_path: Path, *lines: tuple[str, str]) -> str:
    py, script = quote(sys.executable), quote(str(TREE_CHILD))
    return "".join(
        f"{name}: {py} {script} {quote(str(tmp_path / name))} {args}\n" for name, args in lines
    )


def test_stop_leaves_no_process_of_the_tree(tmp_path: Path):
    text = _procfile(tmp_path, ("web", "--depth 2"), ("worker", "--depth 1 --ignore-term"))
    lines: list[bytes] = []
    sup = Supervisor(text, tmp_path / "run", env=dict(os.environ), echo=lines.append)
    sup.start()
    try:
        pids = wait_for_pids(tmp_path / "web", 3) + wait_for_pids(tmp_path / "worker", 2)
        records = sup.refresh()
        assert set(pids) <= {r.pid for r in records}
        assert sup.poll() is None
    finally:
        survivors = sup.stop()
    assert survivors == []
    assert not [pid for pid in pids if running(pid)]
    assert sup.poll() is not None
    assert b"web.1 started" in b"".join(lines)
    assert "web.1 started" in sup.log_path.read_text()


def test_honcho_stopping_when_a_process_exits_is_reported(tmp_path: Path):
    py = quote(sys.executable)
    text = _procfile(tmp_path, ("web", "--depth 1")) + f"oneshot: {py} -c pass\n"
    sup = Supervisor(text, tmp_path / "run", env=dict(os.environ))
    sup.start()
    try:
        wait_until(lambda: sup.poll() is not None, 60, "honcho to stop after oneshot exited")
    finally:
        sup.stop()
    assert sup.exited.get("oneshot") == 0
    assert not [pid for pid in pids_in(tmp_path / "web") if running(pid)]


def test_honcho_does_not_inject_dotenv(tmp_path: Path, monkeypatch):
    """Each lab process reads .env itself, so the environment wins; honcho must not add it."""
    run = tmp_path / "run"
    run.mkdir()
    for folder in (run, tmp_path):
        (folder / ".env").write_text("FROM_DOTENV=yes\n")
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "show.py"
    script.write_text("import os\nprint('FROM_DOTENV=' + os.environ.get('FROM_DOTENV', 'unset'))\n")
    lines: list[bytes] = []
    env = {k: v for k, v in os.environ.items() if k != "FROM_DOTENV"}
    sup = Supervisor(
        f"show: {quote(sys.executable)} {quote(str(script))}\n", run, env, echo=lines.append
    )
    sup.start()
    try:
        wait_until(lambda: sup.poll() is not None, 60, "the process to print and exit")
    finally:
        sup.stop()
    output = b"".join(lines)
    assert b"FROM_DOTENV=unset" in output, output
