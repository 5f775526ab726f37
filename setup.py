"""The wheel carries the repository files a pip-installed lab reads, as `lab/_repo/`.

`config/`, `docs/`, `Procfile` and `.env.example` stay at the checkout's root, where the docs,
the tests and the Procfile name them; building a wheel copies them into the package, in the
same layout, so `lab.settings.lab_file()` finds them beside the installed code on every OS
(no symlinks, no data-files prefix to guess). docs/configuration.md says how they are found.
Everything else about the build is in pyproject.toml; MANIFEST.in puts the same files in sdists.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("config", "docs", "Procfile", ".env.example")  # lab.settings.SHIPPED_DIR's contents
SHIPPED_DIR = ("lab", "_repo")  # lab.settings.SHIPPED_DIR
COURSES = ("lab", "courses")  # lab.exercises.course.DEFAULT_DIR's parent
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc")


class BuildPyWithRepoFiles(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout itself
            return
        target = Path(self.build_lib, *SHIPPED_DIR)
        shutil.rmtree(target, ignore_errors=True)  # no file a previous build left
        target.mkdir(parents=True)
        # the default course: data the lab reads, copied as files (a glob of package data would
        # make setuptools warn, once per folder, that its Python folders are not packages)
        courses = Path(self.build_lib, *COURSES)
        shutil.rmtree(courses, ignore_errors=True)
        shutil.copytree(ROOT.joinpath(*COURSES), courses, ignore=SKIP)
        for name in SHIPPED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=SKIP)
            else:
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildPyWithRepoFiles})
