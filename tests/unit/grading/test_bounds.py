"""Copying a learner's workspace within bounds: size with sparse files, file count, symlinks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lab.grading.bounds import CopyRefused, Limits, copy_tree, measure


def test_a_sparse_file_counts_at_its_size_and_nothing_is_copied(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    with (ws / "huge.bin").open("wb") as f:
        f.truncate(1 << 40)  # 1 TiB, a few KB on disk
    assert (ws / "huge.bin").stat().st_blocks * 512 < 1 << 20
    with pytest.raises(CopyRefused, match=r"larger than 512 MiB .*huge.bin at 1048576 MiB"):
        copy_tree(ws, tmp_path / "copy", (), Limits(), time.monotonic() + 60)
    assert not (tmp_path / "copy").exists()


def test_a_symlink_leading_out_is_refused_one_inside_is_kept(tmp_path: Path) -> None:
    secret = tmp_path / "instructor" / "hidden.yml"
    secret.parent.mkdir()
    secret.write_text("answers", encoding="utf-8")
    ws = tmp_path / "ws"
    (ws / ".github" / "workflows").mkdir(parents=True)
    (ws / "README.md").write_text("hi", encoding="utf-8")
    (ws / "docs.md").symlink_to("README.md")
    copied = copy_tree(ws, tmp_path / "ok", (), Limits(), time.monotonic() + 60)
    assert copied[1] == 4 and (tmp_path / "ok" / "docs.md").readlink() == Path("README.md")
    (ws / ".github" / "workflows" / "ci.yml").symlink_to(secret)
    with pytest.raises(CopyRefused, match=r"\.github/workflows/ci\.yml is a symlink .* outside"):
        copy_tree(ws, tmp_path / "bad", (), Limits(), time.monotonic() + 60)
    (ws / ".github" / "workflows" / "ci.yml").unlink()
    (ws / "up.md").symlink_to("../instructor/hidden.yml")
    with pytest.raises(CopyRefused, match=r"up\.md"):
        measure(ws, (), Limits())


def test_file_count_and_ignored_folders(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / ".venv").mkdir(parents=True)
    for i in range(5):
        (ws / f"f{i}.py").write_text("x", encoding="utf-8")
        (ws / ".venv" / f"v{i}").write_text("x", encoding="utf-8")
    assert measure(ws, (".venv",), Limits(max_files=5))[1] == 5
    with pytest.raises(CopyRefused, match="more than 4 files"):
        measure(ws, (".venv",), Limits(max_files=4))


def test_the_copy_stops_when_the_learners_time_runs_out(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "a.py").write_text("x", encoding="utf-8")
    with pytest.raises(CopyRefused, match="time budget"):
        copy_tree(ws, tmp_path / "copy", (), Limits(), time.monotonic() - 1)
