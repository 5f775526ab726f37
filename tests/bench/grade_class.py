"""Benchmark (not a test; nothing is asserted): `lab grade` over a class of learner workspaces.

    python -m tests.bench.grade_class --learners 30 --jobs 2

Each learner is the small project of tests/integration/grading/helpers.py (its own
training command and test, run in its bubblewrap sandbox: M1.train, M6.tests, M6.mutants),
graded with its services at a dead URL (`--own-lab`: only a workspace, so `lab grade` starts
each one's lab in its sandbox too). It prints the time in all and per learner, and the ratio of
the time per learner to one learner graded alone, measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def grade(root: Path, path: Path, jobs: int, extra: list[str]) -> float:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "lab", "grade", str(path), "--jobs", str(jobs), "--budget", "900",
         "--out", str(root / f"out-{path.stem}-{jobs}"), *extra],
        env=lab_env(root / "home", COLUMNS=200), cwd=root, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"lab grade failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds


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
        one = grade(root, roster(root, 1, args.own_lab), 1, extra)
        print(f"reference: 1 learner alone, --jobs 1: {one:.1f} s")
        total = grade(root, roster(root, args.learners, args.own_lab), args.jobs, extra)
        per = total / args.learners
        print(f"{args.learners} learners, --jobs {args.jobs}: {total:.1f} s in all "
              f"({total / 60:.1f} min), {per:.1f} s per learner")  # fmt: skip
        print(f"ratio per learner / one alone: {per / one:.2f} (1/jobs = {1 / args.jobs:.2f} "
              "would be perfect parallelism)")  # fmt: skip


if __name__ == "__main__":
    main()
