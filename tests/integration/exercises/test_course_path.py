"""The course path, as a learner walks it: `lab course start`, then at each step write the
module (here: the solution, with a marker line of the learner's in every part), then
`lab course next`. Every marker survives every step, and at each step the course's public tests
fail for the module that just arrived and for no module before it."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from lab.exercises import course, source, steps

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1200)]
TRAIN = "python -m training.train --n_samples 300 --c_param 1.0"


def marker(rel: str, indent: str, module: str) -> str:
    said = f"my own line in {module} ({rel})"
    if rel.endswith(".json"):
        return f'{indent}{{"title": {json.dumps(said)}, "type": "text"}},'
    return f"{indent}# {said}"


def write_module(root: Path, of: course.Course, module: str) -> list[tuple[str, str]]:
    """Replace the module's TODO lines in the project with the solution's code, each after a
    marker line of the learner's; the markers written, as (file, line)."""
    written = []
    for rel, text in source.project_files(of.project_dir).items():
        for region in source.regions(rel, text):
            if region.module != module:
                continue
            path = root / rel
            lines = path.read_text(encoding="utf-8").splitlines()
            todo = region.todo()
            assert todo in lines, f"{rel}: no TODO {region.criterion} at step {module}"
            mine = marker(rel, region.indent, module)
            at = lines.index(todo)
            lines[at : at + 1] = [mine, *region.code]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            written.append((rel, mine))
    if module == "M1":  # the parts outside the project's files: .env and workspace.toml
        example = (root / ".env.example").read_text(encoding="utf-8")
        env = re.sub(r"<generated>", lambda _: secrets.token_urlsafe(24), example)
        (root / ".env").write_text(env, encoding="utf-8")
        toml = (root / "workspace.toml").read_text(encoding="utf-8")
        toml = re.sub(r"(?m)^# TODO M1\.python:.*$", f"python = {json.dumps(sys.executable)}", toml)
        toml = re.sub(r"(?m)^# TODO M1\.train:.*$", f"train = {json.dumps(TRAIN)}", toml)
        toml = toml.replace("[commands]\n", "[commands]\n# my own line in M1 (workspace.toml)\n")
        (root / "workspace.toml").write_text(toml, encoding="utf-8")
        written.append(("workspace.toml", "# my own line in M1 (workspace.toml)"))
    return written


def failing_modules(root: Path, modules: list[str]) -> set[str]:
    """The modules whose public tests fail in the project (one pytest run)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", "-p",
         "no:randomly", "tests/public", "-m", " or ".join(modules)],
        cwd=root, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-2000:]
    failed = re.findall(r"^FAILED tests/public/test_(m\d+)_", done.stdout, re.M)
    assert bool(failed) == (done.returncode == 1), done.stdout[-3000:]
    return {m.upper() for m in failed}


def test_start_then_next_five_times_keeps_every_line_of_the_learner(tmp_path: Path) -> None:
    of = course.load()
    root = steps.start(tmp_path / "project")
    markers: list[tuple[str, str]] = []
    for step, module in enumerate(of.ids):
        if step:
            done = steps.advance(root)
            assert done.module.id == module and not done.kept, steps.describe(done)
            assert done.commits, "the step made no commit"
            log = subprocess.run(["git", "log", "-1", "--format=%s"], cwd=root,
                                 capture_output=True, text=True).stdout  # fmt: skip
            assert log.startswith(f"Course: {module}"), log
        for rel, line in markers:
            assert line in (root / rel).read_text(encoding="utf-8"), (module, rel, line)
        # the starter of this step: only the module that just arrived fails. (M3's public tests
        # train and track a model, ~20 s: after M3 they run again at M6 and at the end.)
        graded = [m for m in of.ids[: step + 1] if m != "M3" or module in ("M3", "M6")]
        assert failing_modules(root, graded) == {module}
        markers += write_module(root, of, module)
        assert len(markers) > step
    assert failing_modules(root, list(of.ids)) == set()
    with pytest.raises(steps.StepError, match="last module"):
        steps.advance(root)
