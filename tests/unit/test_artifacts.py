"""The digest over a whole model folder: every file, its path, MLmodel included."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lab.artifacts import ArtifactDigestError, tree_sha256


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "MLmodel").write_text("flavors:\n  sklearn:\n    serialization_format: skops\n")
    (folder / "model.skops").write_bytes(b"\x00skops-bytes")
    (folder / "sub" / "conda.yaml").write_text("name: x\n")
    return folder


def test_same_files_same_digest_wherever_they_are(model_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere"
    for path in model_dir.rglob("*"):
        target = copy / path.relative_to(model_dir)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    assert tree_sha256(model_dir) == tree_sha256(copy)
    assert len(tree_sha256(model_dir)) == 64


@pytest.mark.parametrize(
    "change",
    [
        lambda d: (d / "MLmodel").write_text("flavors:\n  sklearn:\n    pickled_model: m.pkl\n"),
        lambda d: (d / "model.skops").write_bytes(b"\x00skops-bytez"),
        lambda d: (d / "extra.pkl").write_bytes(b"payload"),
        lambda d: (d / "sub" / "conda.yaml").unlink(),
        lambda d: (d / "sub" / "conda.yaml").rename(d / "conda.yaml"),
    ],
    ids=["MLmodel edited", "model edited", "file added", "file removed", "file moved"],
)
def test_any_change_to_any_file_changes_the_digest(model_dir: Path, change) -> None:
    before = tree_sha256(model_dir)
    change(model_dir)
    assert tree_sha256(model_dir) != before


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_symlink_is_refused(model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.pkl").write_bytes(b"payload")
    (model_dir / "model.pkl").symlink_to(tmp_path / "outside.pkl")
    with pytest.raises(ArtifactDigestError, match=r"model\.pkl is not a plain file"):
        tree_sha256(model_dir)
