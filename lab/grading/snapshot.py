"""What of a learner's workspace is graded: a private copy, at the commit the deadline allows.

A file:// git URL is cloned. A local folder is copied as it is, uncommitted work and its .env
included (without .lab, .venv, .git and caches), unless the rubric sets a due time: then a git
folder is cloned too. With a due time the clone is checked out at the last commit before it, and
when later commits exist they are graded too, as a late submission with the rubric's penalty
(the better of the two counts). A folder that is not a git repository has no dates to check.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lab.acceptance.policy import Policy

IGNORED = (
    ".lab", ".venv", "venv", ".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
    ".tox", "node_modules",
)  # fmt: skip
GIT_TIMEOUT = 60.0


class SnapshotError(RuntimeError):
    """The workspace cannot be copied or checked out; the message says why."""


@dataclass(frozen=True)
class Snapshot:
    path: Path  # the private copy to grade
    commit: str | None  # None for a plain folder
    committed_at: datetime | None
    days_late: int = 0
    penalty_percent: float = 0.0
    note: str = ""  # why a folder was copied as it is

    def describe(self) -> str:
        if self.commit is None:
            return f"the folder as it is ({self.note or 'copied'})"
        when = self.committed_at.isoformat(timespec="minutes") if self.committed_at else "?"
        late = (
            f", {self.days_late} day(s) late: -{self.penalty_percent:g}%" if self.days_late else ""
        )
        return f"commit {self.commit[:10]} of {when}{late}"


def _git(*args: str, cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT,
            check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SnapshotError(f"git {args[0]}: {exc}") from None
    if done.returncode != 0:
        raise SnapshotError(f"git {' '.join(args[:2])}: {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


def is_git(source: str) -> bool:
    return source.startswith("file://") or (Path(source) / ".git").exists()


def snapshots(source: str, dest: Path, policy: Policy) -> list[Snapshot]:
    """Private copies of `source` in `dest` to grade: one, or on-time + late (see module doc)."""
    if not source.startswith("file://") and (policy.due is None or not is_git(source)):
        folder = Path(source)
        if not folder.is_dir():
            raise SnapshotError(f"workspace {source} is not a folder")
        target = dest / "workspace"
        shutil.copytree(folder, target, ignore=shutil.ignore_patterns(*IGNORED), symlinks=True)
        note = "not a git repository" if policy.due is not None else "no due time"
        return [Snapshot(target, None, None, note=note)]
    latest_dir = dest / "latest"
    _git("clone", "--quiet", "--no-hardlinks", source, str(latest_dir))
    head = _git("rev-parse", "HEAD", cwd=latest_dir)
    head_time = _commit_time(latest_dir, head)
    if policy.due is None or head_time <= policy.due:
        return [Snapshot(latest_dir, head, head_time)]
    late = Snapshot(
        latest_dir, head, head_time, policy.days_late(head_time), policy.penalty_percent(head_time)
    )
    on_time = _git("rev-list", "-1", f"--before={policy.due.isoformat()}", "HEAD", cwd=latest_dir)
    if not on_time:
        return [late]
    on_time_dir = dest / "on-time"
    _git("clone", "--quiet", "--no-hardlinks", str(latest_dir), str(on_time_dir))
    _git("-c", "advice.detachedHead=false", "checkout", "--quiet", on_time, cwd=on_time_dir)
    return [Snapshot(on_time_dir, on_time, _commit_time(on_time_dir, on_time)), late]


def _commit_time(repo: Path, commit: str) -> datetime:
    return datetime.fromisoformat(_git("log", "-1", "--format=%cI", commit, cwd=repo))
