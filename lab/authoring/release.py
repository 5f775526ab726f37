"""`lab course release DIR --out RELEASE`: what learners get, as a git repository.

A release is itself a course folder (course.yml, rubric.yml, tasks/, teaching/, fixtures/, the
hint policy as hints.yml) whose project/ holds the starters: every region keeps its place, as
`# BEGIN PART id: task` / the TODO line / `# END PART`, so `lab course start --from RELEASE`
(and `lab course next`) render the same starters as from the instructor's folder. It holds no
solution region, no line of one, nothing of instructor/ (hidden rubric, hidden mutants) and no
hidden criterion; `leaks` proves it line by line.

With `--solutions M1,M2` it is a catch-up pack instead (lab.authoring.catchup).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import yaml

from lab.exercises import course, hint_policy, mutants, source
from lab.exercises.build import git_init
from lab.settings import default_config_dir

#: what a release copies from the course folder, when there
PUBLIC = ("tasks", "teaching", "fixtures", "quizzes")
README = """# {title}

The learner's release of this course (made by `lab course release`): the starters, the public
tests, the tasks, the teaching pages and the fixture model. It holds no solution.

Start the course (install mlops-lab first: `pip install mlops-lab`):

    lab course start --from {where}
    cd workspace && lab up
    lab check -m {first}

`lab course next` brings the next module; `lab hint ID` and `lab check` help on the way.
"""


class ReleaseError(ValueError):
    pass


def _refuse_if_taken(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ReleaseError(f"{dest} already exists and is not empty: pick another --out folder")


def starter_source(path: str, text: str) -> str:
    """One project file with each solution region's code replaced by its TODO line."""
    lines = text.splitlines()
    out: list[str] = []
    cursor = 0
    for r in source.regions(path, text):
        out.extend(lines[cursor : r.begin])
        out += [
            f"{r.indent}# BEGIN PART {r.criterion}: {r.task}",
            r.todo(),
            f"{r.indent}# END PART",
        ]
        cursor = r.end + 1
    out.extend(lines[cursor:])
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _stored_name(rel: str) -> str:
    """`.github/workflows/ci.yml` -> `dot-github/workflows/ci.yml` (as the course stores it)."""
    return "/".join(source.DOT_PREFIX + p[1:] if p.startswith(".") else p for p in rel.split("/"))


def _course_yml(of: course.Course, rubric: str) -> str:
    data = yaml.safe_load((of.root / course.FILE).read_text(encoding="utf-8"))
    data["rubric"] = rubric
    head = "# The learner's release of this course (`lab course release`): no solution is here.\n"
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def build(of: course.Course, dest: Path, config_dir: Path, where: str = "RELEASE") -> Path:
    """Write the release of course `of` into `dest` (absent or empty) and commit it."""
    _refuse_if_taken(dest)
    files = source.project_files(of.project_dir)
    dest.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        target = dest / "project" / _stored_name(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(starter_source(rel, text), encoding="utf-8")
    for name in PUBLIC:
        if (of.root / name).is_dir():
            skip = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(of.root / name, dest / name, ignore=skip)
    shutil.copyfile(of.rubric_file(config_dir), dest / "rubric.yml")
    hint_policy.load(of)  # valid, or a PolicyError before anything is released
    if (of.instructor_dir / hint_policy.FILE).is_file():  # the learner's lab enforces it
        shutil.copyfile(of.instructor_dir / hint_policy.FILE, dest / hint_policy.FILE)
    (dest / course.FILE).write_text(_course_yml(of, "rubric.yml"), encoding="utf-8")
    first = of.ids[0]
    (dest / "README.md").write_text(
        README.format(title=of.title, where=where, first=first), encoding="utf-8"
    )
    course.load(dest)  # it is a course folder a learner's lab can read
    git_init(dest, f"Release of {of.title}")
    return dest


def solution_lines(of: course.Course) -> set[str]:
    """The (stripped, non-blank) lines that occur in a solution region and nowhere else in the
    course's public material (the project outside the regions, the tasks, the rubric...)."""
    inside: set[str] = set()
    outside: set[str] = set()
    for rel, text in source.project_files(of.project_dir).items():
        lines = text.splitlines()
        taken: set[int] = set()
        for r in source.regions(rel, text):
            inside.update(line.strip() for line in r.code)
            taken.update(range(r.begin, r.end + 1))
        outside.update(line.strip() for i, line in enumerate(lines) if i not in taken)
    for path in _public_files(of):
        outside.update(line.strip() for line in _text(path).splitlines())
    return {line for line in inside - outside if line}


def _public_files(of: course.Course) -> Iterator[Path]:
    yield of.root / course.FILE
    yield of.rubric_file(default_config_dir())  # the public rubric
    for name in PUBLIC:
        if (of.root / name).is_dir():
            yield from (p for p in sorted((of.root / name).rglob("*")) if p.is_file())


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def hidden_texts(of: course.Course) -> set[str]:
    """What the instructor keeps: each hidden mutant's texts, each hidden criterion's id, and
    every line of instructor/ that no public file of the course has as well."""
    public: set[str] = set()
    for path in _public_files(of):
        public.update(line.strip() for line in _text(path).splitlines())
    kept: set[str] = set()
    for m in mutants.hidden(of):
        kept.update({m.name, m.find.strip(), m.replace.strip()} - {""})
    if of.instructor_dir.is_dir():
        for path in sorted(of.instructor_dir.rglob("*")):
            if path.is_file() and path.name != hint_policy.FILE:
                kept.update(_hidden_ids(_text(path)))
    return {k for k in kept - public if len(k) > 3}


def instructor_lines(of: course.Course) -> set[str]:
    """Every (stripped) line of instructor/ but the hint policy that no public file has."""
    public: set[str] = set()
    for path in _public_files(of):
        public.update(line.strip() for line in _text(path).splitlines())
    lines: set[str] = set()
    if of.instructor_dir.is_dir():
        for path in sorted(of.instructor_dir.rglob("*")):
            if path.is_file() and path.name != hint_policy.FILE:
                lines.update(line.strip() for line in _text(path).splitlines())
    return {line for line in lines - public if len(line) > 3 and not line.startswith("#")}


def _hidden_ids(text: str) -> set[str]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return set()
    found: set[str] = set()
    for module in (data or {}).get("modules", []) if isinstance(data, dict) else []:
        for c in module.get("criteria", []) if isinstance(module, dict) else []:
            if isinstance(c, dict) and isinstance(c.get("id"), str):
                found.add(c["id"])
    return found


def leaks(of: course.Course, release: Path) -> list[str]:
    """Every `file:line` of the release holding a solution marker, a line unique to a solution
    region, or something the instructor keeps (empty: nothing leaks)."""
    secret = solution_lines(of)
    kept = hidden_texts(of)
    instructor = instructor_lines(of)
    found = []
    for path in sorted(release.rglob("*")):
        if not path.is_file() or ".git" in path.relative_to(release).parts:
            continue
        rel = path.relative_to(release).as_posix()
        for number, line in enumerate(_text(path).splitlines(), 1):
            stripped = line.strip()
            why = (
                "a solution marker" if "BEGIN SOLUTION" in line or "END SOLUTION" in line
                else "a solution line" if stripped in secret
                else "the instructor's" if stripped in instructor or any(k in line for k in kept)
                else ""
            )  # fmt: skip
            if why:
                found.append(f"{rel}:{number}: {why}: {stripped[:80]}")
    return found


def fetch(where: str, into: Path) -> Path:
    """The release at `where` (a folder, or a git URL cloned into `into`), as a course folder."""
    folder = Path(where).expanduser()
    if folder.is_dir():
        return folder.resolve()
    if "://" not in where and not where.startswith("git@"):
        raise ReleaseError(f"{where}: no such folder, and not a git URL")
    git = shutil.which("git")
    if git is None:
        raise ReleaseError("cloning a release needs git on PATH (or pass its folder)")
    done = subprocess.run(
        [git, "clone", "-q", "--depth", "1", where, str(into)], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise ReleaseError(f"git clone {where} failed: {done.stderr.strip()[-300:]}")
    return into
