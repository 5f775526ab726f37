"""The class's grade book from the per-learner files: grades.csv, the class report, lms.csv.

A run (or one shard of it: `lab grade ROSTER --shard K/N`) writes each learner's feedback and
evidence as it ends; `finish` then builds grades.csv (roster order), report.html, report.csv
and lms.csv from the evidence files alone. `merge` copies the shards' files into one folder
and calls the same `finish`, so shards merged equal one run, byte for byte.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lab.grading import report
from lab.grading.outputs import MODULES, grades_csv, private_folder, write_private

SHARD_FILE = "shard.json"


class MergeError(ValueError):
    """Shards that cannot be merged; the message says which and why."""


def _evidences(out: Path, ids: Sequence[str]) -> list[dict[str, Any]]:
    found = [json.loads((out / "evidence" / f"{i}.json").read_text(encoding="utf-8"))
             for i in ids]  # fmt: skip
    return sorted(found, key=lambda ev: ev["roster_line"])  # stable: ties keep `ids` order


def finish(out: Path, ids: Sequence[str], modules: Sequence[str]) -> list[dict[str, str]]:
    """Write grades.csv and the class report of the learners `ids` (from their evidence files
    in `out`, in roster order); their grades.csv rows."""
    evidences = _evidences(out, ids)
    rows = [ev["row"] for ev in evidences]
    write_private(out / "grades.csv", grades_csv(rows, modules))
    stats = report.criteria_stats(evidences)
    write_private(out / "report.csv", report.report_csv(stats))
    write_private(out / "report.html", report.report_html(rows, evidences, stats))
    write_private(out / "lms.csv", report.lms_csv(rows, modules))
    return rows


def write_shard(
    out: Path, shard: tuple[int, int], roster_sha: str, ids: Sequence[str], modules: Sequence[str]
) -> None:
    data = {"shard": list(shard), "roster_sha256": roster_sha, "learners": list(ids),
            "modules": list(modules)}  # fmt: skip
    write_private(out / SHARD_FILE, json.dumps(data, indent=2) + "\n")


def merge(shards: Sequence[Path], out: Path) -> list[dict[str, str]]:
    """Join the shard folders into `out`: every learner's files, then `finish`."""
    infos = []
    for folder in shards:
        path = folder / SHARD_FILE
        if not path.is_file():
            raise MergeError(
                f"{folder} is not the output of `lab grade --shard K/N` (no {path.name})"
            )
        infos.append(json.loads(path.read_text(encoding="utf-8")))
    if len({i["roster_sha256"] for i in infos}) > 1:
        raise MergeError("the shards graded different rosters (their roster_sha256 differ)")
    counts = {i["shard"][1] for i in infos}
    have = sorted(i["shard"][0] for i in infos)
    if len(counts) > 1 or have != list(range(1, counts.pop() + 1)):
        raise MergeError(f"shards {have} given: every shard 1..N, each once, is needed")
    private_folder(out)
    for folder in shards:
        for part in ("feedback", "evidence"):
            target = private_folder(out / part)
            for file in sorted((folder / part).glob("*")):
                shutil.copyfile(file, target / file.name)
                (target / file.name).chmod(0o600)
    ids = [i for info in infos for i in info["learners"]]
    return finish(out, ids, infos[0].get("modules") or MODULES)
