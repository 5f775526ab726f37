"""The check kinds rubric.yml names. Importing this package registers every kind."""

from lab.acceptance.checks import api, crm, files, mlflow, monitoring, project, suite
from lab.acceptance.checks._base import (
    CheckContext,
    CheckFailed,
    CheckKind,
    CheckSkipped,
    Outcome,
    Params,
    Status,
    Targets,
)
from lab.acceptance.checks.kinds import CHECK_KINDS

__all__ = [
    "CHECK_KINDS",
    "CheckContext",
    "CheckFailed",
    "CheckKind",
    "CheckSkipped",
    "Outcome",
    "Params",
    "Status",
    "Targets",
    "api",
    "crm",
    "files",
    "mlflow",
    "monitoring",
    "project",
    "suite",
]
