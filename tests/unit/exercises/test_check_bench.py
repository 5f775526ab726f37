"""lab/exercises/check_bench.py: the data file is real bytes of the size asked, a run's peak
RSS covers its process tree, and the summary prints both figures and their ratios."""

from __future__ import annotations

import os
import sys

from lab.exercises import check_bench


def test_the_data_file_has_the_size_asked(tmp_path):
    path = tmp_path / "data" / "train.csv"
    check_bench.write_data(path, 3 * check_bench.CHUNK // 2 + 7)
    assert path.stat().st_size == 3 * check_bench.CHUNK // 2 + 7
    assert path.read_bytes()[:5] == b"12.0,"


def test_a_runs_peak_counts_its_children(tmp_path):
    grow = "import subprocess, sys; subprocess.run([sys.executable, '-c', " \
           "'b = bytearray(80 * 1024 * 1024); import time; time.sleep(0.5)'])"  # fmt: skip
    run = check_bench.measure(
        "x", [sys.executable, "-c", grow], tmp_path, dict(os.environ), tmp_path / "x.log"
    )
    assert run.exit_code == 0 and run.wall_seconds > 0.4
    assert run.peak_rss_bytes > 80 * 1024 * 1024


def test_the_summary_prints_wall_time_peak_rss_and_ratios():
    runs = [check_bench.Run("without", 2.0, 100 * 2**20, 1),
            check_bench.Run("with", 2.2, 105 * 2**20, 1)]  # fmt: skip
    text = "\n".join(check_bench.summary(runs, 1.0))
    assert "wall   2.00 s" in text and "peak RSS   100.0 MiB" in text
    assert "wall   1.10x" in text and "1.05x" in text
