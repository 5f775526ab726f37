"""The CI workflow a workspace gets: `lab check` on every push, scorecard in the job summary."""

from __future__ import annotations

import shutil
import subprocess
from importlib.resources import files
from pathlib import Path

from lab import __version__
from lab.files import write_atomic

WORKFLOW_PATH = Path(".github") / "workflows" / "lab-check.yml"


def workflow_text(lab_requirement: str | None = None) -> str:
    """The workflow, installing `lab_requirement` (default: this version of mlops-lab)."""
    template = files("lab.grading").joinpath("templates/lab-check.yml").read_text(encoding="utf-8")
    return template.replace("{{ lab_requirement }}", lab_requirement or f"mlops-lab=={__version__}")


def write_workflow(workspace: Path, lab_requirement: str | None = None) -> Path:
    """Write .github/workflows/lab-check.yml into `workspace` (kept if the learner has one).

    In a git repository the file is committed, so the first push already runs it.
    """
    path = workspace / WORKFLOW_PATH
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, workflow_text(lab_requirement))
    git = shutil.which("git")
    if git is not None and (workspace / ".git").exists():
        ident = ["-c", "user.name=mlops-lab", "-c", "user.email=lab@localhost"]
        rel = WORKFLOW_PATH.as_posix()
        for args in (
            ["add", rel],
            [*ident, "commit", "-q", "-m", "Add the lab check workflow", rel],
        ):
            subprocess.run([git, *args], cwd=workspace, check=True, capture_output=True)
    return path
