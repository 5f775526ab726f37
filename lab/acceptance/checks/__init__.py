"""The check kinds rubric.yml names. Importing this package registers every kind."""

from lab.acceptance.checks import api, crm, files, mlflow, monitoring, project, suite
from lab.acceptance.checks import pending  # noqa: F401  (last: kinds not built yet)
from lab.acceptance.checks._base import (
    CheckContext,
    CheckError,
    CheckFailed,
    CheckKind,
    CheckSkipped,
    Outcome,
    Params,
    Status,
    Targets,
)
from lab.acceptance.checks.registry import REGISTRY

__all__ = [
    "REGISTRY",
    "CheckContext",
    "CheckError",
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
