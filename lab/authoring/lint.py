"""`lab course lint`: a course folder is consistent before anything runs.

It checks course.yml, the solution markers (balanced, each naming a module of the course and a
criterion of the rubric), the rubric (it loads; its modules are the course's, in order; each
module's weights add up to its points), that every module has its task in both languages naming
the same criteria, the fixtures, the instructor's part (hint policy, hidden mutants) and the
teaching folder (pages in both languages, a hint text per criterion, the quizzes).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lab.acceptance import RubricError, load_rubric
from lab.acceptance.extra import with_extra
from lab.acceptance.rubric import Rubric
from lab.authoring import seeded
from lab.exercises import course, hint_policy, mutants, source, teaching

#: a criterion id as a task names it: `M2.reject`
NAMED = re.compile(r"`([A-Za-z][A-Za-z0-9_]*\.[a-z0-9_]+)`")
LANGS = ("en", "zh-TW")
HIDDEN_RUBRIC = "rubric.yml"  # in instructor/: the hidden criteria `lab grade` adds


def lint(of: course.Course, config_dir: Path) -> list[str]:
    """Every problem found, one line each (empty: the course is consistent)."""
    problems: list[str] = []
    rubric = _rubric(of, config_dir, problems)
    problems += _markers(of, rubric)
    problems += _tasks(of, rubric)
    problems += [f"fixtures: {rel} is not in the course" for rel in of.fixtures
                 if not (of.root / rel).exists()]  # fmt: skip
    problems += _instructor(of)
    problems += _hidden_rubric(of, config_dir)
    problems += _teaching(of, rubric)
    return problems


def _teaching(of: course.Course, rubric: Rubric | None) -> list[str]:
    """The teaching pages, hint texts and quizzes (lab.exercises.teaching owns the rules)."""
    if rubric is None or not of.project_dir.is_dir():
        return []
    try:
        marked = {r.criterion for r in source.all_regions(source.project_files(of.project_dir))}
    except source.MarkerError:  # said by _markers
        return []
    criteria = {m.id: [c.id for c in m.criteria] for m in rubric.modules}
    return teaching.lint(of.root / "teaching", criteria, marked)


def _rubric(of: course.Course, config_dir: Path, problems: list[str]) -> Rubric | None:
    try:
        rubric = load_rubric(of.rubric_file(config_dir))
    except RubricError as exc:
        problems.append(f"rubric: {exc}")
        return None
    ids = [m.id for m in rubric.modules]
    if ids != list(of.ids):
        problems.append(
            f"rubric: its modules ({', '.join(ids)}) are not the course's, in order "
            f"({', '.join(of.ids)})"
        )
    for module in rubric.modules:
        for c in module.criteria:
            if not c.hint_zh_tw:
                problems.append(f"rubric: {c.id} has no hint_zh_tw (both languages are needed)")
    return rubric


def _markers(of: course.Course, rubric: Rubric | None) -> Iterator[str]:
    if not of.project_dir.is_dir():
        yield f"project: {of.project_dir} is missing (the marked solution project)"
        return
    known = {c.id for m in rubric.modules for c in m.criteria} if rubric else None
    held: set[str] = set()
    for path, text in source.project_files(of.project_dir).items():
        try:
            found = source.regions(path, text)
        except source.MarkerError as exc:
            yield f"markers: {exc}"
            continue
        for r in found:
            where = f"{path}:{r.begin + 1}"
            if r.module not in of.ids:
                yield f"markers: {where}: {r.criterion} names no module of the course"
            elif known is not None and r.criterion not in known:
                yield f"markers: {where}: {r.criterion} is not a criterion of the rubric"
            held.add(r.module)
    for module in of.ids:
        if module not in held:
            yield f"markers: module {module} has no marked region (nothing for a learner to write)"


def _tasks(of: course.Course, rubric: Rubric | None) -> Iterator[str]:
    for module in of.ids:
        named: dict[str, set[str]] = {}
        for lang in LANGS:
            path = of.task_file(module, lang)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError:
                yield f"tasks: {path.name} is missing"
                continue
            if not text.strip():
                yield f"tasks: {path.name} is empty"
            named[lang] = {n for n in NAMED.findall(text) if n.startswith(module + ".")}
        if len(named) == len(LANGS) and named["en"] != named["zh-TW"]:
            only = sorted(named["en"] ^ named["zh-TW"])
            yield f"tasks: {module}'s two languages name other criteria ({', '.join(only)})"
        if rubric is not None and module in [m.id for m in rubric.modules] and "en" in named:
            unnamed = [c.id for c in rubric.module(module).criteria if c.id not in named["en"]]
            if unnamed:
                yield f"tasks: {module}.md does not name {', '.join(unnamed)}"


def _hidden_rubric(of: course.Course, config_dir: Path) -> list[str]:
    path = of.instructor_dir / HIDDEN_RUBRIC
    if not path.is_file():
        return []
    with tempfile.TemporaryDirectory(prefix="lab-lint-") as tmp:  # $seed inputs filled
        rendered = seeded.render(path, "lint", Path(tmp) / HIDDEN_RUBRIC)
        try:
            with_extra(load_rubric(of.rubric_file(config_dir)), rendered)
        except RubricError as exc:
            return [f"instructor: {exc}"]
    return []


def _instructor(of: course.Course) -> list[str]:
    problems: list[str] = []
    try:
        hint_policy.load(of)
    except hint_policy.PolicyError as exc:
        problems.append(f"instructor: {exc}")
    try:
        hidden = mutants.hidden(of)
    except mutants.MutantError as exc:
        return [*problems, f"instructor: {exc}"]
    if hidden and of.project_dir.is_dir():
        try:
            base = mutants.solved_project(of)
        except source.MarkerError:  # said by _markers
            return problems
        for mutant in hidden:
            try:
                mutants.apply(base, mutant)
            except (mutants.MutantError, KeyError) as exc:
                problems.append(f"instructor: hidden mutant {mutant.name}: {exc}")
    return problems
