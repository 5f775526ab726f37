"""Which commit of a workspace is graded: the last before `due`, plus the latest one, late."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lab.acceptance.policy import Policy
from lab.grading.snapshot import SnapshotError, snapshots
from tests.support import require_tool

DUE = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def commit(repo: Path, name: str, when: str) -> None:
    (repo / name).write_text(name, encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    ident = ["-c", "user.name=t", "-c", "user.email=t@localhost"]
    subprocess.run(["git", "add", name], cwd=repo, check=True, env=env)
    subprocess.run(["git", *ident, "commit", "-qm", name], cwd=repo, check=True, env=env)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    require_tool("git")
    repo = tmp_path / "learner"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    commit(repo, "start.txt", "2026-11-20T10:00:00+00:00")
    commit(repo, "on_time.txt", "2026-12-01T11:59:00+00:00")
    return repo


def test_on_time_work_is_graded_at_its_latest_commit(repo, tmp_path):
    (snap,) = snapshots(str(repo), tmp_path / "out", Policy(due=DUE, late_penalty_per_day=10))
    assert (snap.path / "on_time.txt").is_file() and snap.penalty_percent == 0
    assert not (snap.path / ".lab").exists()


def test_later_commits_are_graded_late_beside_the_last_on_time_one(repo, tmp_path):
    commit(repo, "late.txt", "2026-12-03T09:00:00+00:00")  # 1 day 21 h late: 2 started days
    on_time, late = snapshots(
        repo.as_uri(), tmp_path / "out", Policy(due=DUE, late_penalty_per_day=10)
    )
    assert (on_time.path / "on_time.txt").is_file() and not (on_time.path / "late.txt").exists()
    assert on_time.penalty_percent == 0 and on_time.committed_at < DUE
    assert (late.path / "late.txt").is_file()
    assert (late.days_late, late.penalty_percent) == (2, 20)
    assert "2 day(s) late: -20%" in late.describe()


def test_without_a_deadline_a_folder_is_graded_as_it_is_and_a_url_at_its_latest_commit(
    repo, tmp_path
):
    commit(repo, "late.txt", "2026-12-09T09:00:00+00:00")
    (repo / "uncommitted.txt").write_text("work in progress", encoding="utf-8")
    (folder,) = snapshots(str(repo), tmp_path / "a", Policy())
    assert (folder.path / "uncommitted.txt").is_file() and not (folder.path / ".git").exists()
    assert folder.commit is None and "no due time" in folder.describe()
    (clone,) = snapshots(repo.as_uri(), tmp_path / "b", Policy())
    assert (clone.path / "late.txt").is_file() and not (clone.path / "uncommitted.txt").exists()
    assert clone.commit and clone.penalty_percent == 0


def test_a_plain_folder_is_copied_without_runtime_files(tmp_path):
    folder = tmp_path / "plain"
    (folder / ".lab").mkdir(parents=True)
    (folder / "app.py").write_text("x = 1\n", encoding="utf-8")
    (snap,) = snapshots(str(folder), tmp_path / "out", Policy(due=DUE))
    assert (snap.path / "app.py").is_file() and not (snap.path / ".lab").exists()
    assert snap.commit is None and "not a git repository" in snap.describe()


def test_a_missing_workspace_is_a_snapshot_error(tmp_path):
    with pytest.raises(SnapshotError, match="is not a folder"):
        snapshots(str(tmp_path / "nowhere"), tmp_path / "out", Policy())


def test_the_instructors_received_time_decides_lateness_not_a_backdated_commit(repo, tmp_path):
    commit(repo, "late.txt", "2026-11-25T09:00:00+00:00")  # backdated: before its parent
    received = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # 1 day 1 h late: 2 started days
    (snap,) = snapshots(
        str(repo), tmp_path / "out", Policy(due=DUE, late_penalty_per_day=10), received=received
    )
    assert (snap.path / "late.txt").is_file() and snap.received == received
    assert (snap.days_late, snap.penalty_percent) == (2, 20)
    assert "received 2026-12-02T13:00" in snap.describe()
    assert any("dated before its parent" in f for f in snap.flags), snap.flags


def test_a_backdated_commit_is_flagged_without_a_received_time(repo, tmp_path):
    commit(repo, "late.txt", "2026-11-25T09:00:00+00:00")
    snaps = snapshots(str(repo), tmp_path / "out", Policy(due=DUE, late_penalty_per_day=10))
    assert snaps[0].flags and "dated before its parent" in snaps[0].flags[0]
