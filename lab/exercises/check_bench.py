"""`lab bench --check-data`: `lab check` in a workspace, without and with a large data file.

A learner keeps data in the project (`data/train.csv`). `lab check` lists the TODO lines of the
workspace (lab.exercises.hints.scan): it must not read such a file, so its wall time and peak
memory stay where they are without it. This runs `lab check --no-tests -m M2` on an M2
workspace (no lab running: the API's criteria fail at once) twice without the file and twice
with it, alternating, and prints each pair: the best wall time and the peak RSS of the whole
process tree (sampled every 20 ms), and their ratios.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lab import procs
from lab.exercises import build

CHUNK = 64 * 1024 * 1024


@dataclass(frozen=True)
class Run:
    label: str
    wall_seconds: float
    peak_rss_bytes: int
    exit_code: int


def measure(label: str, cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> Run:
    """Run `cmd` (its output in `log`); its wall time and the peak RSS of its process tree."""
    began = time.perf_counter()
    child = procs.spawn_group(label, cmd, cwd=cwd, env=env, log=log)
    try:
        peak = procs.peak_rss(child)
    finally:
        procs.stop_tree(child)
    code = child.exit_code()
    return Run(label, time.perf_counter() - began, peak, -1 if code is None else code)


def write_data(path: Path, size: int) -> None:
    """A CSV file of `size` bytes (real bytes, not a sparse file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    row = b"12.0,79.5,3.0,4.0,21.0,1.0,1.0,2.0,14.5,2.0,1\n"
    block = row * (CHUNK // len(row))
    with path.open("wb") as out:
        left = size
        while left > 0:
            piece = block[: min(left, len(block))]
            out.write(piece)
            left -= len(piece)


def run(gib: float, say: Callable[[str], None] = print, keep: Path | None = None) -> list[Run]:
    with tempfile.TemporaryDirectory(prefix="lab-bench-check-") as tmp:
        root = keep or Path(tmp)
        ws = build.create(root / "ws", "M2", git=False, settings=build.free_ports(preferred=()))
        env = {**os.environ, "LAB_HOME": str(root / "home"), "LAB_ENV_FILE": str(ws.env_file)}
        out = root / "out"
        cmd = [sys.executable, "-m", "lab", "check", "--no-tests", "--no-fault-checks", "--fresh",
               "-m", "M2", "--project-dir", str(ws.root), "--json", str(out / "c.json"),
               "--badges", str(out / "b"), "--html", str(out / "r.html")]  # fmt: skip
        say("warm-up run")
        log = root / "check.log"
        measure("warm-up", cmd, ws.root, env, log)
        data = ws.root / "data" / "train.csv"
        runs = []
        for round_ in (1, 2):
            if data.exists():
                data.unlink()
            say(f"round {round_}: without the data file")
            runs.append(measure("without", cmd, ws.root, env, log))
            say(f"round {round_}: writing {gib:g} GiB to {data}")
            write_data(data, int(gib * 1024**3))
            say(f"round {round_}: with the data file")
            runs.append(measure("with", cmd, ws.root, env, log))
        return runs


def summary(runs: list[Run], gib: float) -> list[str]:
    """Lines: the best wall time and the peak RSS without and with the file, and the ratios."""
    best = {}
    for label in ("without", "with"):
        mine = [r for r in runs if r.label == label]
        best[label] = (min(r.wall_seconds for r in mine), max(r.peak_rss_bytes for r in mine))
    (w0, m0), (w1, m1) = best["without"], best["with"]
    mib = 1024 * 1024
    return [
        f"lab check --no-tests -m M2 on an M2 workspace ({len(runs)} runs)",
        f"  without a data file:     wall {w0:6.2f} s   peak RSS {m0 / mib:7.1f} MiB",
        f"  with a {gib:g} GiB data file: wall {w1:6.2f} s   peak RSS {m1 / mib:7.1f} MiB",
        f"  ratio with/without:      wall {w1 / w0:6.2f}x   peak RSS {m1 / max(m0, 1):7.2f}x "
        "(target: within 1.20x)",
    ]
