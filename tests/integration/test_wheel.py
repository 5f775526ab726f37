"""The wheel a learner pip-installs carries the lab's own files, and the installed lab finds them.

setup.py copies the checkout's config/, docs/, Procfile and .env.example into the package
(lab/_repo/); lab.settings.lab_file() finds them there when no checkout is beside the package.
The default course (lab/courses/default/) is package data: every tracked file of it ships.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

import pytest

from lab.settings import SHIPPED_DIR
from tests.support import IN_CI, REPO, lab_env, require_tool

pytestmark = pytest.mark.integration

SHIPPED = ("config", "docs", "Procfile", ".env.example")  # setup.py's SHIPPED

#: Run by the installed lab from an empty folder: where it found each of its files.
PROBE = """
import json, lab
from pathlib import Path
from lab.acceptance.graded import lab_checkout
from lab.acceptance.rubric import load_rubric
from lab.acceptance.runner import docs_base
from lab.envfile import find_example
from lab.integration.segments import load_rules
from lab.orchestration.procfile import find
from lab.exercises import course
from lab.settings import load_settings
s = load_settings()
c = course.load()
rubric = load_rubric(s.LAB_CONFIG_DIR / "rubric.yml")
load_rules(s.segment_rules_file)
print(json.dumps({
    "lab": lab.__file__, "config": str(s.LAB_CONFIG_DIR), "segments": str(s.segment_rules_file),
    "procfile": str(find()), "example": str(find_example()),
    "docs": docs_base(rubric, Path.cwd()), "graded": str(lab_checkout()),
    "modules": [m.id for m in rubric.modules],
    "course": str(c.root), "course_modules": list(c.ids),
}))
"""


def _files(*paths: str, others: bool = False) -> list[str]:
    """The repository's files under `paths` (git's list; `others`: with untracked, not ignored)."""
    args = ["--cached", "--others", "--exclude-standard"] if others else []
    out = subprocess.run(
        [require_tool("git"), "ls-files", "-z", *args, "--", *paths],
        cwd=REPO, check=True, capture_output=True,
    ).stdout  # fmt: skip
    return sorted({p for p in out.decode().split("\0") if p and (REPO / p).is_file()})


def _require_setuptools(major: int) -> None:
    """The wheel builds without isolation, with the test extras' setuptools (like require_tool)."""
    have = version("setuptools") if find_spec("setuptools") else "none"
    if have.split(".")[0].isdigit() and int(have.split(".")[0]) >= major:
        return
    message = f"setuptools {have} cannot build the wheel (>={major}: pip install -e '.[test]')"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The wheel of this checkout, built from a copy (a build leaves build/ and egg-info), and
    what the build printed (pip -v shows the build backend's warnings)."""
    source = tmp_path_factory.mktemp("source")
    for name in _files(others=True):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    _require_setuptools(77)
    dist = tmp_path_factory.mktemp("dist")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-v"]
    done = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(source)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (found,) = dist.glob("mlops_lab-*.whl")
    return found, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(build: tuple[Path, str]) -> Path:
    return build[0]


def test_the_build_prints_no_setuptools_warning(build: tuple[Path, str]):
    """The first install once printed ~400 lines of `Package 'lab.exercises.project' is absent
    from the packages configuration`: the course is data, copied as files."""
    said = build[1]
    assert "is absent from the `packages` configuration" not in said
    assert "_Warning" not in said and "SetuptoolsDeprecationWarning" not in said


def test_the_wheel_carries_every_file_of_config_docs_procfile_and_env_example(wheel: Path):
    tracked = _files(*SHIPPED)
    assert "config/rubric.yml" in tracked and "Procfile" in tracked
    with zipfile.ZipFile(wheel) as archive:
        inside = {name: archive.read(name) for name in archive.namelist()}
    for name in tracked:
        shipped = f"lab/{SHIPPED_DIR}/{name}"
        assert shipped in inside, f"{name} is not in {wheel.name}"
        assert inside[shipped] == (REPO / name).read_bytes(), f"{shipped} differs from {name}"


def test_the_wheel_carries_the_default_course_as_data_not_packages(wheel: Path):
    tracked = _files("lab/courses")
    assert "lab/courses/default/course.yml" in tracked
    assert any(name.startswith("lab/courses/default/project/app/") for name in tracked)
    with zipfile.ZipFile(wheel) as archive:
        inside = {name: archive.read(name) for name in archive.namelist()}
    for name in tracked:
        assert name in inside, f"{name} is not in {wheel.name}"
        assert inside[name] == (REPO / name).read_bytes(), f"{name} differs in the wheel"
    assert not [n for n in inside if "__pycache__" in n or n.endswith(".pyc")]


def test_an_installed_lab_finds_its_own_files_in_the_install(wheel: Path, tmp_path: Path):
    target, empty, home = tmp_path / "site", tmp_path / "empty", tmp_path / "home"
    empty.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    # only the install on the path (the editable checkout's finder comes after it)
    env = lab_env(home, PYTHONPATH=str(target))

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=empty, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    found = json.loads(run("-c", PROBE))
    installed = (target / "lab").resolve()
    assert Path(found["lab"]).resolve().parent == installed  # the wheel's lab, not the checkout's
    shipped = installed / SHIPPED_DIR
    assert Path(found["config"]) == shipped / "config"
    assert Path(found["segments"]) == shipped / "config" / "segments.yml"
    assert Path(found["procfile"]) == shipped / "Procfile"
    assert Path(found["example"]) == shipped / ".env.example"
    assert found["docs"] == shipped.as_uri() + "/"
    assert Path(found["graded"]) == shipped  # `lab check` outside a project: the lab's own files
    assert found["modules"][:2] == ["M1", "M2"]
    assert Path(found["course"]) == installed / "courses" / "default"
    assert found["course_modules"][:2] == ["M1", "M2"]
    assert "M4.crm_record" in run("-m", "lab", "hint", "M4.crm_record")
