"""The sandbox with real bubblewrap and real processes: what a hostile command can and cannot do.

One sandboxed shell script does everything a hostile learner tried (print the environment, read
another process's command line through /proc, write outside its tree, leave a process behind);
the assertions share that one run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from lab.sandbox import BASE_ENV, HOME, Sandbox, SandboxUnavailable, capture
from tests.support import require_tool

HOSTILE = r"""
echo "ENV-BEGIN"; env | sort; echo "ENV-END"
echo "PROCS: $(ls /proc | grep -c '^[0-9]')"
for p in /proc/[0-9]*; do tr '\0' ' ' < $p/cmdline; echo; done > procs.txt
echo stolen > "$OUTSIDE/stolen.txt" 2>/dev/null && echo "WROTE-OUTSIDE"
echo mine > "$HOME/mine.txt" && echo "WROTE-HOME"
ls "$SECRET_DIR" 2>/dev/null && echo "SAW-SECRET"
nohup sleep 777 > /dev/null 2>&1 &
echo $! > leftover.pid
echo "ok" > inside.txt
"""


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> dict:
    require_tool("bwrap", "apt install bubblewrap")
    root = tmp_path_factory.mktemp("sandbox")
    tree, outside, secret = root / "tree", root / "outside", root / "instructor"
    for folder in (tree, outside, secret):
        folder.mkdir()
    (secret / "hidden.yml").write_text("answers", encoding="utf-8")
    (tree / "hostile.sh").write_text(HOSTILE, encoding="utf-8")
    os.environ["LAB_TEST_SECRET"] = "instructor-secret"  # in the grader's own environment
    try:
        sandbox = Sandbox.create(tree)
        prepared = sandbox.prepare(
            ["sh", "hostile.sh"], cwd=tree,
            env={"LAB_HOME": str(tree / ".lab"), "LAB_OUTSIDE": str(outside)},
        )  # fmt: skip
        prepared.env.update(OUTSIDE=str(outside), SECRET_DIR=str(secret))  # what it aims at
        done = capture.run(prepared, root / "log.txt", timeout=60)
    finally:
        del os.environ["LAB_TEST_SECRET"]
    return {"done": done, "text": done.text(), "tree": tree, "outside": outside, "root": root}


def test_the_environment_is_the_written_down_allow_list(hostile_run):
    text = hostile_run["text"]
    assert hostile_run["done"].code == 0, text
    env_lines = text.split("ENV-BEGIN\n", 1)[1].split("ENV-END", 1)[0].splitlines()
    keys = {line.split("=", 1)[0] for line in env_lines if "=" in line}
    assert "instructor-secret" not in text
    assert keys - {"PWD", "SHLVL", "_", "OUTSIDE", "SECRET_DIR"} == set(BASE_ENV) | {
        "LAB_HOME", "LAB_OUTSIDE"
    }  # fmt: skip


def test_it_sees_only_its_own_processes_and_no_command_line_of_the_grader(hostile_run):
    procs = (hostile_run["tree"] / "procs.txt").read_text(encoding="utf-8")
    firsts = {Path(line.split()[0]).name for line in procs.splitlines() if line.strip()}
    assert firsts <= {"bwrap", "sh", "tr"}, procs  # the grader's processes are not there
    count = int(hostile_run["text"].split("PROCS: ", 1)[1].split()[0])
    assert count < 10  # bwrap's init, the shell and its children; the machine has hundreds


def test_it_writes_its_tree_only_and_its_home_is_private(hostile_run):
    text = hostile_run["text"]
    assert "WROTE-OUTSIDE" not in text and not (hostile_run["outside"] / "stolen.txt").exists()
    assert "SAW-SECRET" not in text
    assert "WROTE-HOME" in text and not Path(HOME, "mine.txt").exists()
    assert (hostile_run["tree"] / "inside.txt").read_text(encoding="utf-8") == "ok\n"


def test_nothing_it_started_outlives_it(hostile_run):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        left = [p for p in psutil.process_iter(["cmdline"])
                if p.info["cmdline"] == ["sleep", "777"]]  # fmt: skip
        if not left:
            break
        time.sleep(0.1)
    assert not left, left


def test_output_is_bounded_whatever_is_printed(tmp_path):
    require_tool("bwrap", "apt install bubblewrap")
    sandbox = Sandbox.create(tmp_path)
    script = (
        "import sys\nfor _ in range(300):\n    sys.stdout.write('x' * (1 << 20))\nprint('LAST')\n"
    )
    (tmp_path / "loud.py").write_text(script, encoding="utf-8")
    before = psutil.Process().memory_info().rss
    done = capture.run(
        sandbox.prepare([sys.executable, "-I", "loud.py"], cwd=tmp_path), tmp_path / "log",
        timeout=120,
    )  # fmt: skip
    grown = psutil.Process().memory_info().rss - before
    assert done.code == 0 and done.produced > 300 * (1 << 20) and done.cut
    assert (tmp_path / "log").stat().st_size < capture.HEAD + capture.TAIL + 200
    assert done.text().rstrip().endswith("LAST") and "bytes of output cut" in done.text()
    assert grown < 50 * (1 << 20), grown
    assert capture.tail_lines(tmp_path / "log", 1).endswith("xLAST")


def test_a_command_past_its_time_is_stopped_with_everything_it_started(tmp_path):
    require_tool("bwrap", "apt install bubblewrap")
    sandbox = Sandbox.create(tmp_path)
    prepared = sandbox.prepare(["sh", "-c", "sleep 778 & sleep 779"], cwd=tmp_path)
    done = capture.run(prepared, tmp_path / "log", timeout=1)
    assert done.code is None
    time.sleep(0.5)
    assert not [p for p in psutil.process_iter(["cmdline"])
                if (p.info["cmdline"] or [""])[0] == "sleep"
                and p.info["cmdline"][1:] in (["778"], ["779"])]  # fmt: skip


def test_no_key_outside_the_allow_list_gets_in(tmp_path):
    with pytest.raises(ValueError, match="AWS_SECRET_ACCESS_KEY"):
        Sandbox(tmp_path, (), isolated=False).prepare(
            ["true"], cwd=tmp_path, env={"AWS_SECRET_ACCESS_KEY": "x"}
        )


def test_without_bubblewrap_no_sandbox_is_made(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SandboxUnavailable, match="--trust-workspaces"):
        Sandbox.create(tmp_path)
    trusted = Sandbox.create(tmp_path, trust=True)
    assert not trusted.isolated and trusted.prepare(["true"], cwd=tmp_path).argv == ["true"]


def test_a_command_can_join_a_running_sandbox_and_see_its_processes(tmp_path):
    """How the fault checks' `lab stop crm` sees the PIDs a sandboxed `lab up` recorded."""
    require_tool("bwrap", "apt install bubblewrap")
    sandbox = Sandbox.create(tmp_path)
    running = capture.start(
        sandbox.prepare(["sh", "-c", "echo $$ > inner.pid; exec sleep 31"], cwd=tmp_path),
        tmp_path / "log",
    )
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / "inner.pid").is_file() and time.monotonic() < deadline:
            time.sleep(0.05)
        inner = psutil.Process(running.pid).children()[0].pid
        spec = tmp_path / "sandbox.json"
        spec.write_text(sandbox.joining(inner).to_json(), encoding="utf-8")
        pid = (tmp_path / "inner.pid").read_text(encoding="utf-8").strip()
        seen = subprocess.run(
            [sys.executable, "-I", "-m", "lab.sandbox", str(spec), "--", "cat",
             f"/proc/{pid}/cmdline"],
            capture_output=True, timeout=30,
        )  # fmt: skip
        assert seen.returncode == 0, seen.stderr
        assert seen.stdout.split(b"\0")[:2] == [b"sleep", b"31"]
    finally:
        running.stop()
