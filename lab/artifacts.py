"""One SHA-256 over every file of a logged model folder (`MLmodel` included).

`lab train` records it on the registry version; the API recomputes it over the folder it
downloaded and deserializes nothing until the two are equal. The digest covers each file's
path relative to the folder (POSIX separators, sorted, length-prefixed) and the SHA-256 of its
bytes, so adding, removing, renaming or editing any file (the model, `MLmodel`, `conda.yaml`,
...) changes it. A symlink or any entry that is not a plain file or folder is refused: it could
make the loader read something the digest did not cover.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

DIGEST_VERSION = "tree-sha256-v1"  # recorded beside the digest, so the scheme can change
_CHUNK = 1 << 20


class ArtifactDigestError(ValueError):
    """The folder holds something the digest cannot cover (a symlink, a device, nothing)."""


def tree_files(folder: Path) -> list[tuple[str, Path]]:
    """(relative POSIX path, path) of every file under `folder`, sorted by relative path."""
    found: list[tuple[str, Path]] = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root)
        for name in dirs:
            if (base / name).is_symlink():
                raise ArtifactDigestError(f"{_rel(folder, base / name)} is a symlink: refused")
        for name in files:
            path = base / name
            mode = path.lstat().st_mode
            if not stat.S_ISREG(mode):
                raise ArtifactDigestError(f"{_rel(folder, path)} is not a plain file: refused")
            found.append((_rel(folder, path), path))
    if not found:
        raise ArtifactDigestError(f"{folder.name} holds no file")
    return sorted(found)


def tree_sha256(folder: Path) -> str:
    """The hex SHA-256 over every file of `folder`: sorted relative paths plus contents."""
    digest = hashlib.sha256(DIGEST_VERSION.encode())
    for relative, path in tree_files(folder):
        name = relative.encode("utf-8")
        digest.update(len(name).to_bytes(8, "big") + name + file_sha256(path))
    return digest.hexdigest()


def file_sha256(path: Path) -> bytes:
    """The raw SHA-256 of one file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.digest()


def _rel(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix()
