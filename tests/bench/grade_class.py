"""Benchmark (not a test; nothing is asserted): `lab grade` over a class of learner workspaces.

    python -m tests.bench.grade_class --learners 30 --jobs 2

Each learner is the small project of tests/integration/grading/helpers.py (its own
training command and test, run in its bubblewrap sandbox: M1.train, M6.tests, M6.mutants),
graded with its services at a dead URL (`--own-lab`: only a workspace, so `lab grade` starts
each one's lab in its sandbox too). It prints the time in all and per learner, and the ratio of
the time per learner to one learner graded alone, measured in the same run.

It also prints how busy the machine's CPUs were (from the kernel's counters, other processes
included: read it beside the load average it prints). `time` on this command cannot say it:
the CPU of processes run in a bubblewrap sandbox (a PID namespace) is never added to the
grader's children's CPU time, so most of the grading's CPU does not show there. One learner
alone already keeps more than one core busy (its checks run side by side), so on a 2-core
machine `--jobs 2` gains little: the time per learner falls with the CPU each learner costs.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from tests.integration.grading.helpers import write_project
from tests.support import free_port, lab_env


def roster(root: Path, learners: int, own_lab: bool) -> Path:
    dead = f"http://127.0.0.1:{free_port()}"
    path = root / f"roster-{learners}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "workspace", "api_url"])
        for n in range(learners):
            folder = root / "class" / f"learner{n:02d}"
            if not folder.exists():
                write_project(folder)
            writer.writerow([folder.name, str(folder), "" if own_lab else dead])
    return path


def _busy() -> float:
    """CPU-seconds the whole machine has spent busy so far (every process, every core)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def grade(root: Path, path: Path, jobs: int, extra: list[str]) -> tuple[float, float]:
    """(seconds, CPU-seconds the machine was busy meanwhile) of one `lab grade`."""
    busy = _busy()
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "lab", "grade", str(path), "--jobs", str(jobs), "--budget", "900",
         "--out", str(root / f"out-{path.stem}-{jobs}"), *extra],
        env=lab_env(root / "home", COLUMNS=200), cwd=root, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.monotonic() - started
    cpu = _busy() - busy
    if done.returncode != 0:
        raise SystemExit(f"lab grade failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, cpu


def _cpu(seconds: float, cpu: float) -> str:
    cores = psutil.cpu_count() or 1
    return (f"CPUs busy {cpu / seconds:.1f} of {cores} ({cpu:.0f} CPU-s; "
            f"load average now {os.getloadavg()[0]:.1f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--own-lab", action="store_true", help="start each learner's lab")
    parser.add_argument("--no-tests", action="store_true")
    args = parser.parse_args()
    extra = ["--no-tests"] if args.no_tests else []
    with tempfile.TemporaryDirectory(prefix="lab-bench-grade-") as tmp:
        root = Path(tmp)
        one, one_cpu = grade(root, roster(root, 1, args.own_lab), 1, extra)
        print(f"reference: 1 learner alone, --jobs 1: {one:.1f} s; {_cpu(one, one_cpu)}")
        path = roster(root, args.learners, args.own_lab)
        total, cpu = grade(root, path, args.jobs, extra)
        per = total / args.learners
        print(f"{args.learners} learners, --jobs {args.jobs}: {total:.1f} s in all "
              f"({total / 60:.1f} min), {per:.1f} s per learner; {_cpu(total, cpu)}")  # fmt: skip
        print(
            f"ratio per learner / one alone: {per / one:.2f} (1/jobs = {1 / args.jobs:.2f} "
            "would be perfect parallelism, if one learner alone left the other cores idle)"
        )
        print(f"CPU per learner: {cpu / args.learners:.1f} CPU-s (one alone: {one_cpu:.1f})")


if __name__ == "__main__":
    main()
