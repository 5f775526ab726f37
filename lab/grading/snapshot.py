"""What of a learner's workspace is graded: a private copy, at the commit the deadline allows.

A file:// git URL is cloned. A local folder is copied as it is, uncommitted work and its .env
included (without .lab, .venv, .git and caches), unless the rubric sets a due time: then a git
folder is cloned too. With a due time the clone is checked out at the last commit before it, and
when later commits exist they are graded too, as a late submission with the rubric's penalty
(the better of the two counts). A folder that is not a git repository has no dates to check.

Commit dates are the learner's to set. When the instructor knows when each submission arrived
(`received`: the roster's column, or `lab grade --received FILE`), that time alone decides
lateness and the submission is graded as received. Without it, a commit dated before its parent
is flagged in the notes. Every copy is bounded (lab.grading.bounds): size, file count, the
learner's time budget, no symlink leading out of the workspace.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lab.acceptance.policy import Policy
from lab.grading.bounds import CopyRefused, Limits, check_tree, copy_tree, measure

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
    received: datetime | None = None  # when the instructor received it (decides lateness)
    flags: tuple[str, ...] = ()  # what looks wrong with the dates

    def describe(self) -> str:
        late = (
            f", {self.days_late} day(s) late: -{self.penalty_percent:g}%" if self.days_late else ""
        )
        got = f", received {self.received.isoformat(timespec='minutes')}" if self.received else ""
        if self.commit is None:
            return f"the folder as it is ({self.note or 'copied'}){got}{late}"
        when = self.committed_at.isoformat(timespec="minutes") if self.committed_at else "?"
        return f"commit {self.commit[:10]} of {when}{got}{late}"


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


def snapshots(
    source: str, dest: Path, policy: Policy, *, received: datetime | None = None,
    limits: Limits | None = None, deadline: float | None = None,
) -> list[Snapshot]:  # fmt: skip
    """Private copies of `source` in `dest` to grade: one, or on-time + late (see module doc)."""
    limits = limits or Limits()
    deadline = deadline if deadline is not None else time.monotonic() + 600
    days = policy.days_late(received) if received else 0
    penalty = policy.penalty_percent(received) if received else 0.0
    try:
        if not source.startswith("file://") and (policy.due is None or not is_git(source)):
            folder = Path(source)
            if not folder.is_dir():
                raise SnapshotError(f"workspace {source} is not a folder")
            target = dest / "workspace"
            copy_tree(folder, target, IGNORED, limits, deadline)
            note = "not a git repository" if policy.due is not None else "no due time"
            return [Snapshot(target, None, None, days, penalty, note, received)]
        if not source.startswith("file://"):  # the repository itself is bounded before cloning
            measure(Path(source), tuple(i for i in IGNORED if i != ".git"), limits)
        latest_dir = dest / "latest"
        _git("clone", "--quiet", "--no-hardlinks", source, str(latest_dir))
        check_tree(latest_dir, limits)
    except CopyRefused as exc:
        raise SnapshotError(str(exc)) from None
    head = _git("rev-parse", "HEAD", cwd=latest_dir)
    head_time = _commit_time(latest_dir, head)
    flags = backdated(latest_dir)
    if received is not None:  # the instructor's time decides; the dates the learner set do not
        return [Snapshot(latest_dir, head, head_time, days, penalty, "", received, flags)]
    if policy.due is None or head_time <= policy.due:
        return [Snapshot(latest_dir, head, head_time, flags=flags)]
    late_one = Snapshot(
        latest_dir, head, head_time, policy.days_late(head_time),
        policy.penalty_percent(head_time), flags=flags,
    )  # fmt: skip
    on_time = _git("rev-list", "-1", f"--before={policy.due.isoformat()}", "HEAD", cwd=latest_dir)
    if not on_time:
        return [late_one]
    on_time_dir = dest / "on-time"
    _git("clone", "--quiet", "--no-hardlinks", str(latest_dir), str(on_time_dir))
    _git("-c", "advice.detachedHead=false", "checkout", "--quiet", on_time, cwd=on_time_dir)
    snap = Snapshot(on_time_dir, on_time, _commit_time(on_time_dir, on_time), flags=flags)
    return [snap, late_one]


def backdated(repo: Path, most: int = 2000) -> tuple[str, ...]:
    """One line per commit dated before one of its parents (dates set by hand), at most 3."""
    lines = _git("log", f"-{most}", "--format=%H %ct %P", cwd=repo).splitlines()
    when = {parts[0]: int(parts[1]) for parts in (ln.split() for ln in lines)}
    found = []
    for line in lines:
        commit, stamp, *parents = line.split()
        if any(p in when and int(stamp) < when[p] for p in parents):
            found.append(f"commit {commit[:10]} is dated before its parent: its date was set "
                         "by hand, so commit dates do not decide lateness here")  # fmt: skip
    return tuple(found[:3])


def _commit_time(repo: Path, commit: str) -> datetime:
    return datetime.fromisoformat(_git("log", "-1", "--format=%cI", commit, cwd=repo))
