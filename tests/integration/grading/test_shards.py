"""`lab grade ROSTER --shard K/N` + `lab grade merge`: the grade book of one run, byte for byte.

A small roster (dead services, one workspace over the size bound) keeps it quick; the rows are
still graded by real `lab check` children.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import free_port, lab_env

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def lab_grade(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "lab", "grade", *args], env=lab_env(root / "home", COLUMNS=200),
        cwd=root, capture_output=True, text=True, timeout=500,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


def test_two_shards_merged_equal_one_run(tmp_path):
    big = tmp_path / "big"
    big.mkdir()
    (big / "workspace.toml").write_text('[workspace]\nmodules = ["M1"]\n', encoding="utf-8")
    with (big / "data.bin").open("wb") as f:
        f.truncate(1 << 40)
    dead = f"http://127.0.0.1:{free_port()}"
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"id,workspace,api_url,crm_url\nana,,{dead},\nben,big,,\nchloe,,{dead},{dead}\n",
        encoding="utf-8",
    )
    common = ["--no-tests", "--jobs", "2", "--budget", "120"]
    lab_grade(tmp_path, str(roster), "--out", str(tmp_path / "one"), *common)
    for k in (1, 2):
        lab_grade(tmp_path, str(roster), "--shard", f"{k}/2", "--out", str(tmp_path / f"s{k}"),
                  *common)  # fmt: skip
    assert (tmp_path / "s1" / "grades.csv").read_text().count("\n") == 3  # header, ana, chloe
    lab_grade(tmp_path, "merge", str(tmp_path / "s2"), str(tmp_path / "s1"),
              "--out", str(tmp_path / "merged"))  # fmt: skip
    one, merged = tmp_path / "one", tmp_path / "merged"
    assert (merged / "grades.csv").read_bytes() == (one / "grades.csv").read_bytes()
    assert (merged / "lms.csv").read_bytes() == (one / "lms.csv").read_bytes()
    assert (merged / "report.csv").read_bytes() == (one / "report.csv").read_bytes()
    assert sorted(p.name for p in (merged / "feedback").iterdir()) == sorted(
        p.name for p in (one / "feedback").iterdir()
    )
    assert "ana,0,0,0,0,0,0,0," in (one / "grades.csv").read_text(encoding="utf-8")


def test_merge_refuses_a_missing_shard(tmp_path):
    (tmp_path / "s1").mkdir()
    (tmp_path / "s1" / "shard.json").write_text(
        '{"shard": [1, 2], "roster_sha256": "x", "learners": []}', encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "lab", "grade", "merge", str(tmp_path / "s1"), "--out",
         str(tmp_path / "m")],
        env=lab_env(tmp_path / "home"), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "every shard 1..N" in done.stderr, done.stderr
