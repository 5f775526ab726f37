"""The roster CSV of `lab grade`: one learner a row, a workspace or the learner's service URLs.

    id,workspace,api_url,crm_url,mlflow_url,prometheus_url,grafana_url
    ana,file:///srv/classroom/ana-m4.git,,,,,
    ben,../submissions/ben,,,,,
    chloe,,http://10.0.0.7:8000,http://10.0.0.7:8001,http://10.0.0.7:5001,,

A row with a workspace (a folder, or a `file://` git URL) and no URL: `lab grade` runs the
workspace's lab itself. A row with URLs grades those services (an empty one is not graded and
shows as skipped), with the workspace, if given, as the project whose files are graded.
Optional, for a lab `lab grade` does not run: `python` (the project's interpreter, `lab check
--python`), `lab_home` (the running lab's LAB_HOME, read in place: its model file and logs) and
`api_log` (the API's log file, `lab check --api-log`). `received` (ISO 8601 with a zone): when
the instructor received the submission; with a due time it alone decides lateness (commit
dates are the learner's to set). Other columns (name, email...) are ignored.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from lab.services import GRADED

SERVICES = GRADED
URL_COLUMNS = tuple(f"{s}_url" for s in SERVICES)
LEARNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class RosterError(ValueError):
    """A roster that cannot be graded; the message names the file and the line."""


@dataclass(frozen=True)
class Learner:
    id: str
    workspace: str | None  # a folder (absolute, resolved) or a file:// URL
    urls: dict[str, str] = field(default_factory=dict)  # service -> URL, given ones only
    line: int = 0
    python: str | None = None  # the project's interpreter, when the roster names one
    api_log: str | None = None  # the API's log file, when the roster names one
    lab_home: str | None = None  # the learner's running lab's LAB_HOME, when the roster names it
    received: datetime | None = None  # when the instructor received it (decides lateness)

    @property
    def runs_own_lab(self) -> bool:
        """Only a workspace is given: `lab grade` starts its lab to grade its services."""
        return self.workspace is not None and not self.urls


def read_roster(path: Path) -> list[Learner]:
    """Read and validate `path`; `RosterError` names the line of the first problem."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"{path}: cannot read the roster: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in reader.fieldnames or []]
    if "id" not in columns:
        raise RosterError(f"{path} line 1: the header needs an `id` column (it has {columns})")
    if "workspace" not in columns and not set(URL_COLUMNS) & set(columns):
        raise RosterError(
            f"{path} line 1: the header needs `workspace` or a URL column "
            f"({', '.join(URL_COLUMNS)})"
        )
    learners: list[Learner] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        learner = _learner(row, line, path)
        if learner.id in seen:
            raise RosterError(f"{path} line {line}: learner id {learner.id!r} used twice")
        seen.add(learner.id)
        learners.append(learner)
    if not learners:
        raise RosterError(f"{path}: no learner rows under the header")
    return learners


def _learner(row: dict[str, str], line: int, path: Path) -> Learner:
    where = f"{path} line {line}"
    learner_id = row.get("id", "")
    if not LEARNER_ID.match(learner_id):
        raise RosterError(
            f"{where}: id {learner_id!r} must be 1-64 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit (it names the learner's files)"
        )
    urls: dict[str, str] = {}
    for service in SERVICES:
        value = row.get(f"{service}_url", "")
        if not value:
            continue
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RosterError(f"{where}: {service}_url {value!r} is not an http(s) URL")
        urls[service] = value.rstrip("/")
    workspace = row.get("workspace") or None
    if workspace is not None:
        workspace = _workspace(workspace, path.parent, where)
    if workspace is None and not urls:
        raise RosterError(f"{where}: learner {learner_id} has neither a workspace nor a URL")
    # relative to the roster's folder; not resolved: a venv's python is a symlink to keep
    extra = {k: str(path.parent.absolute() / Path(row[k])) for k in ("python", "api_log",
             "lab_home") if row.get(k)}  # fmt: skip
    return Learner(
        learner_id, workspace, urls, line,
        extra.get("python"), extra.get("api_log"), extra.get("lab_home"),
        parse_received(row.get("received", ""), where),
    )  # fmt: skip


def parse_received(value: str, where: str) -> datetime | None:
    """An ISO 8601 time with its zone (`2026-12-01T12:00:00+00:00`), or None for ""."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise RosterError(
            f"{where}: received {value!r} must be an ISO 8601 time with its zone, "
            "e.g. 2026-12-01T12:00:00+00:00"
        )
    return when


def with_received(learners: list[Learner], path: Path) -> list[Learner]:
    """`learners` with the times of `path` (CSV `id,received`: `lab grade --received FILE`)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"{path}: cannot read the received times: {exc}") from None
    times: dict[str, datetime | None] = {}
    for line, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        learner_id = (row.get("id") or "").strip()
        if learner_id:
            times[learner_id] = parse_received((row.get("received") or "").strip(),
                                               f"{path} line {line}")  # fmt: skip
    return [replace(lr, received=times[lr.id]) if lr.id in times else lr for lr in learners]


def _workspace(value: str, base: Path, where: str) -> str:
    """A file:// URL as given, or the folder resolved against the roster's folder."""
    if "://" in value:
        if not value.startswith("file://"):
            raise RosterError(
                f"{where}: workspace {value!r}: only local folders and file:// git URLs are "
                "graded (clone remote repositories first)"
            )
        return value
    return str((base / Path(value)).resolve())  # a missing folder is that learner's error only
