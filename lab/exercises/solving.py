"""A learner solving one module of a course project in place, as `lab exercise verify --path`
and the course path's tests do it.

Each TODO line of the module (lab.exercises.source: the starter's stand-in for a marked region)
is replaced by the course's solution of that region, after one line of the learner's own (a
comment, or in JSON a text panel). Those lines are what `lab course next` must never touch. M1
asks for two things outside the marked project: `.env`, written from `.env.example` as `lab
init` writes it, and workspace.toml's interpreter and training command. Then one commit, with
the learner's git identity when git has one.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from lab import envfile, workspace
from lab.exercises import course, source
from lab.files import write_atomic

#: the training command a learner names in workspace.toml at M1 (the task's, without tox)
TRAIN = "python -m training.train --n_samples 1000 --c_param 1.0"


class SolveError(ValueError):
    """A TODO of the module is not in the project (the step did not bring it, or it moved)."""


@dataclass
class Solved:
    """What `solve` wrote: per filled TODO, its file and the learner's lines there (their own
    line, then the solution's code), in order."""

    module: str
    blocks: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def mine(self) -> list[tuple[str, str]]:
        """The learner's own line of each block, as (file, line)."""
        return [(rel, lines[0]) for rel, lines in self.blocks]


def missing(root: Path, blocks: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    """The blocks of the learner's lines no longer in the project at `root` as they were
    written (every line, in order, together), each as `file: first line`."""
    lost = []
    for rel, lines in blocks:
        try:
            held = (root / rel).read_text(encoding="utf-8").splitlines()
        except OSError:
            held = []
        n = len(lines)
        if not any(tuple(held[i : i + n]) == lines for i in range(len(held) - n + 1)):
            lost.append(f"{rel}: {lines[0].strip()}")
    return lost


def own_line(rel: str, indent: str, module: str) -> str:
    """A line of the learner's in file `rel` at `indent`, that says whose it is."""
    said = f"my own line in {module} ({rel})"
    if rel.endswith(".json"):
        return f'{indent}{{"title": {json.dumps(said)}, "type": "text"}},'
    return f"{indent}# {said}"


def solve(root: Path, of: course.Course, module: str, *, python: str, train: str = TRAIN) -> Solved:
    """Fill in `module`'s TODOs in the course project at `root` with the course's solution
    (each after a line of the learner's); for M1 also `.env` and workspace.toml (`python`: the
    interpreter it names, `train`: the training command). SolveError when a TODO is missing."""
    done = Solved(module)
    for rel, text in source.project_files(of.project_dir).items():
        wanted = [r for r in source.regions(rel, text) if r.module == module]
        if not wanted:
            continue
        path = root / rel
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SolveError(f"{rel}: cannot read it at step {module}: {exc}") from None
        for region in wanted:
            todo = region.todo()
            if todo not in lines:
                raise SolveError(f"{rel}: no TODO {region.criterion} at step {module}")
            mine = own_line(rel, region.indent, module)
            at = lines.index(todo)
            lines[at : at + 1] = [mine, *region.code]
            done.blocks.append((rel, (mine, *region.code)))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if module == "M1":  # the workspace's own TODOs (lab.exercises.build.M1_TODOS)
        done.blocks += _environment(root, module, python, train)
    return done


def _environment(
    root: Path, module: str, python: str, train: str
) -> list[tuple[str, tuple[str, ...]]]:
    """M1's parts outside the marked project: `.env` and workspace.toml's two TODOs."""
    example = (root / ".env.example").read_text(encoding="utf-8")
    write_atomic(root / ".env", envfile.render(example), mode=0o600)
    path = root / workspace.FILE_NAME
    toml = path.read_text(encoding="utf-8")
    mine = own_line(workspace.FILE_NAME, "", module)
    blocks = [
        (workspace.FILE_NAME, (f"python = {json.dumps(python)}",)),
        (workspace.FILE_NAME, (mine, f"train = {json.dumps(train)}")),
    ]
    for key, (_, lines) in zip(("python", "train"), blocks, strict=True):
        todo = re.search(rf"(?m)^# TODO M1\.{key}:.*$", toml)
        if todo is None:
            raise SolveError(f"{workspace.FILE_NAME}: no TODO M1.{key} at step {module}")
        toml = toml[: todo.start()] + "\n".join(lines) + toml[todo.end() :]
    path.write_text(toml, encoding="utf-8")
    return blocks


def commit(root: Path, message: str) -> str | None:
    """Commit everything in the project as the learner (`git add -A`); the new commit's short
    hash, None when git is missing or nothing changed."""
    git = shutil.which("git")
    if git is None or not (root / ".git").exists():
        return None
    known = subprocess.run([git, "config", "user.email"], cwd=root, capture_output=True)
    # the learner's own identity when git has one (a CI machine may have none)
    ident = [] if known.stdout.strip() else ["-c", "user.name=learner", "-c", "user.email=me@lab"]
    subprocess.run([git, "add", "-A"], cwd=root, check=True, capture_output=True)
    if subprocess.run([git, "diff", "--cached", "--quiet"], cwd=root).returncode == 0:
        return None
    subprocess.run([git, *ident, "commit", "-q", "-m", message], cwd=root, check=True,
                   capture_output=True)  # fmt: skip
    head = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True)
    return head.stdout.decode().strip()
