"""lab/exercises/pytest_batch.py with real pytest runs: one driver imports pytest once and forks
a run per project; each run gets its own exit code and last line, bounded output, and nothing it
starts outlives it. In the bubblewrap sandbox, a run cannot forge the driver's report."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from lab.exercises.pytest_batch import run_batch
from lab.sandbox import Sandbox
from tests.support import require_tool

PARENT = "import os\nfrom pathlib import Path\n\n{body}"
PASSES = "def test_ok():\n    Path('ppid.txt').write_text(str(os.getppid()))\n"
FAILS = "def test_no():\n    Path('ppid.txt').write_text(str(os.getppid()))\n    assert 1 == 2\n"
LOUD = "def test_loud():\n    print('x' * 5_000_000)\n    assert False\n"
LEAVES = (
    "import subprocess\n\ndef test_leaves():\n"
    "    p = subprocess.Popen(['sleep', '300'], start_new_session=False)\n"
    "    Path('left.pid').write_text(str(p.pid))\n"
)
#: a later run: is what the run "leaves" started still running?
CHECKS = (
    "def test_checks():\n"
    "    pid = Path('../../leaves/project/left.pid').read_text()\n"
    "    stat = Path(f'/proc/{pid}/stat')\n"
    "    alive = stat.exists() and stat.read_text().split(')')[-1].split()[0] != 'Z'\n"
    "    Path('alive.txt').write_text(str(alive))\n"
)
#: a run that aims at the driver's report (its stdout), through /proc
FORGES = (
    "def test_forges():\n"
    "    try:\n"
    "        with open(f'/proc/{os.getppid()}/fd/1', 'w') as out:\n"
    '            out.write(\'pytest-batch: {"i": 1, "code": 0, "last": "forged"}\\n\')\n'
    "        Path('forged.txt').write_text('yes')\n"
    "    except OSError as exc:\n"
    "        Path('forged.txt').write_text(type(exc).__name__)\n"
)


def project(root: Path, name: str, body: str) -> Path:
    folder = root / name / "project"
    (folder / "tests").mkdir(parents=True)
    (folder / "tests" / "test_it.py").write_text(PARENT.format(body=body), encoding="utf-8")
    return folder


@pytest.mark.skipif(not hasattr(os, "fork"), reason="one run per process without os.fork")
def test_each_run_has_its_code_and_last_line_from_one_driver(tmp_path: Path) -> None:
    runs = [project(tmp_path, n, b) for n, b in (("leaves", LEAVES), ("ok", PASSES),
            ("no", FAILS), ("loud", LOUD), ("checks", CHECKS))]  # fmt: skip
    leaves, ok, no, loud, checks = run_batch(runs, sys.executable, timeout=120, workers=1)
    assert ok is not None and ok.code == 0 and "1 passed" in ok.summary
    assert no is not None and no.code == 1 and "1 failed" in no.summary
    assert loud is not None and loud.code == 1 and "1 failed" in loud.summary  # 5 MB printed
    assert leaves is not None and leaves.code == 0
    parents = {(p / "ppid.txt").read_text() for p in runs[1:3]}
    assert len(parents) == 1 and parents != {str(os.getpid())}  # forked by the same driver
    assert checks is not None and checks.code == 0, checks
    assert (runs[4] / "alive.txt").read_text() == "False"  # killed when its run ended


def test_the_others_run_only_when_the_first_passes(tmp_path: Path) -> None:
    runs = [project(tmp_path, "base", FAILS), project(tmp_path, "other", PASSES)]
    base, other = run_batch(runs, sys.executable, 120, 2, first_must_pass=True)
    assert base is not None and base.code == 1 and other is None
    assert not (runs[1] / "ppid.txt").exists()


def test_in_the_sandbox_a_run_cannot_write_the_drivers_report(tmp_path: Path) -> None:
    require_tool("bwrap", "apt install bubblewrap")
    runs = [project(tmp_path, "forger", FORGES), project(tmp_path, "fails", FAILS)]
    sandbox = Sandbox.create(tmp_path, [Path(sys.executable).parent.parent])
    forger, fails = run_batch(runs, sys.executable, 120, 1, sandbox, first_must_pass=True)
    assert forger is not None and forger.code == 0, forger
    assert (runs[0] / "forged.txt").read_text() == "PermissionError"
    assert fails is not None and fails.code == 1 and "1 failed" in fails.summary
