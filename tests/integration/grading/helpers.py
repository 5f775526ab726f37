"""Helpers of the grading tests and benchmark: a small learner project (a training script that
writes the model file, one test, a workspace.toml naming this interpreter), and readers of
grades.csv and the evidence."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

TRAIN = """\
import argparse, os, pathlib
p = argparse.ArgumentParser()
for flag in ("--n_samples", "--c_param", "--model_version"):
    p.add_argument(flag)
p.parse_args()
home = pathlib.Path(os.environ["LAB_HOME"]) / "models"
home.mkdir(parents=True, exist_ok=True)
(home / "sample_model.joblib").write_bytes(b"model")
print("trained")
"""


def write_project(folder: Path, train: str = TRAIN, test_command: str | None = None) -> Path:
    (folder / "tests").mkdir(parents=True)
    (folder / "app").mkdir()
    (folder / "training").mkdir()
    (folder / "app" / "__init__.py").write_text("", encoding="utf-8")
    (folder / "training" / "train.py").write_text(train, encoding="utf-8")
    (folder / "tests" / "test_app.py").write_text("def test_one():\n    assert 1 + 1 == 2\n",
                                                  encoding="utf-8")  # fmt: skip
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "learner"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n',
        encoding="utf-8",
    )
    commands = {"train": "python training/train.py"}
    if test_command:
        commands["test"] = test_command
    lines = ["[workspace]", 'modules = ["M1"]', f'python = "{sys.executable}"', "[commands]"]
    lines += [f'{k} = "{v}"' for k, v in commands.items()]
    (folder / "workspace.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def criteria(out: Path, learner: str) -> dict[str, dict]:
    evidence = json.loads((out / "evidence" / f"{learner}.json").read_text(encoding="utf-8"))
    chosen = next(a for a in evidence["attempts"] if a["chosen"])
    return {c["id"]: c for m in chosen["result"]["modules"] for c in m["criteria"]}
