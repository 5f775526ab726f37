"""The CI workflow a workspace gets: `lab check` on every push, scorecard in the job summary."""

from __future__ import annotations

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
    """Write .github/workflows/lab-check.yml into `workspace` (kept if the learner has one)."""
    path = workspace / WORKFLOW_PATH
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, workflow_text(lab_requirement))
    return path
