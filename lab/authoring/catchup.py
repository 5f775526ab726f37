"""Catch-up packs: some modules' solutions, for a learner who must move on.

`lab course release DIR --solutions M1,M2 --out PACK` writes PACK/catchup.yml: per region of
those modules, the file, the TODO line a starter holds and the solution's lines.
`lab course catch-up PACK` (in the learner's project) puts each solution where its TODO line
is, and commits each module as "solution of M2 applied", which `lab grade` reads: that module
is *given*, not the learner's points. A region whose TODO line is gone (the learner wrote
something there) is left as the learner wrote it, and said.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lab.exercises import course, source

FILE = "catchup.yml"
SUBJECT = "solution of {module} applied"
APPLIED = re.compile(r"^solution of (\S+) applied$")


class PackError(ValueError):
    pass


def build_pack(of: course.Course, modules: list[str], dest: Path) -> Path:
    """Write the catch-up pack of `modules` (ids of course `of`) into `dest` (absent or empty)."""
    wanted = [of.get(m).id for m in modules]
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise PackError(f"{dest} already exists and is not empty: pick another --out folder")
    regions = [
        {"path": r.path, "criterion": r.criterion, "todo": r.todo(), "code": list(r.code)}
        for rel, text in source.project_files(of.project_dir).items()
        for r in source.regions(rel, text)
        if r.module in wanted
    ]
    doc = {"version": 1, "course": of.title, "modules": wanted, "regions": regions}
    dest.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=1000)
    (dest / FILE).write_text(text, encoding="utf-8")
    return dest


@dataclass
class Applied:
    module: str
    placed: list[str] = field(default_factory=list)  # path:line of each region put in
    kept: list[str] = field(default_factory=list)  # regions the learner had written: left


def _read(pack: Path) -> dict[str, Any]:
    path = pack / FILE if pack.is_dir() else pack
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PackError(f"{path} is not a catch-up pack: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("regions"), list):
        raise PackError(f"{path} is not a catch-up pack (no regions)")
    return doc


def _place(root: Path, region: dict[str, Any], applied: Applied) -> None:
    rel = str(region["path"])
    target = (root / rel).resolve()
    if root.resolve() not in target.parents:
        raise PackError(f"{rel}: a path outside the project")
    where = f"{rel} ({region['criterion']})"
    if not target.is_file():
        applied.kept.append(f"{where}: no such file")
        return
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    todo = str(region["todo"])
    for i, line in enumerate(lines):
        if line.rstrip("\r\n") == todo:
            end = "\r\n" if line.endswith("\r\n") else "\n"
            lines[i : i + 1] = [f"{code}{end}" for code in region["code"]]
            target.write_text("".join(lines), encoding="utf-8")
            applied.placed.append(f"{rel}:{i + 1}")
            return
    applied.kept.append(f"{where}: your lines are there, left as they are")


def apply_pack(pack: Path, root: Path, commit: bool = True) -> list[Applied]:
    """Apply the pack to the project at `root`; one commit per module (when `root` is a git
    repository and `commit`)."""
    doc = _read(pack)
    done = []
    for module in doc.get("modules", []):
        applied = Applied(str(module))
        for region in doc["regions"]:
            if str(region["criterion"]).split(".")[0] == module:
                _place(root, region, applied)
        if commit:
            files = sorted({p.rsplit(":", 1)[0] for p in applied.placed})
            _commit(root, SUBJECT.format(module=module), files)
        done.append(applied)
    return done


def _commit(root: Path, message: str, files: list[str]) -> None:
    """Commit the files the pack changed, and nothing else the learner has not committed."""
    git = shutil.which("git")
    if git is None or not (root / ".git").exists():
        return
    ident = ["-c", "user.name=mlops-lab", "-c", "user.email=lab@localhost"]
    if files:
        subprocess.run([git, "add", "--", *files], cwd=root, check=True, capture_output=True)
    subprocess.run(
        [git, *ident, "commit", "-q", "--allow-empty", "-m", message, "--", *files],
        cwd=root, check=True, capture_output=True,
    )  # fmt: skip


def applied_modules(root: Path) -> list[str]:
    """The modules a catch-up pack applied in the repository at `root` (its commit subjects)."""
    git = shutil.which("git")
    if git is None or not (root / ".git").exists():
        return []
    done = subprocess.run(
        [git, "log", "--format=%s"], cwd=root, capture_output=True, text=True, check=False
    )
    found = [m[1] for line in done.stdout.splitlines() if (m := APPLIED.match(line.strip()))]
    return list(dict.fromkeys(reversed(found)))
