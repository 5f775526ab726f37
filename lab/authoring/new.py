"""`lab course new DIR`: an instructor's own course, copied from the default course.

The copy is closed (`open: false`): its solutions stay in its folder, and a release never holds
them. It gets its own copy of the public rubric (`rubric.yml`), so its points, criteria and
modules are the instructor's to change.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from lab.exercises import course

OPEN_LINE = re.compile(r"^open:\s*true\s*$", re.MULTILINE)
RUBRIC = "rubric.yml"


class CourseExists(FileExistsError):
    pass


def new_course(dest: Path, rubric: Path, source: Path | None = None) -> course.Course:
    """Copy course `source` (default: the lab's) to `dest` (absent or empty), closed, with its
    own copy of the public rubric `rubric` unless the source course has one."""
    original = course.load(source)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise CourseExists(f"{dest} already exists and is not empty: pick another folder")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    shutil.copytree(original.root, dest, ignore=skip, dirs_exist_ok=True)
    text = (dest / course.FILE).read_text(encoding="utf-8")
    closed = "# closed: a release never holds the solutions (`open: true` says they are public)"
    text = OPEN_LINE.sub(f"{closed}\nopen: false", text, count=1)
    if original.rubric is None:
        shutil.copyfile(rubric, dest / RUBRIC)
        said = "# The public rubric of this course (criteria, weights, hints)."
        text += f"\n{said}\nrubric: {RUBRIC}\n"
    (dest / course.FILE).write_text(text, encoding="utf-8")
    return course.load(dest)
