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
from collections.abc import Mapping
from pathlib import Path

DIGEST_VERSION = "tree-sha256-v1"  # hashed in first, so the scheme can change
MAX_TREE_BYTES = 512 * 2**20  # a logged model folder is a few hundred kB; refuse a flood


class ArtifactDigestError(ValueError):
    """The folder holds something the digest cannot cover (a symlink, a device, nothing)."""


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`: relative POSIX path -> bytes (read once, sorted by path).

    Verify and load from this mapping, never by opening the paths again: what was hashed is
    then exactly what is deserialized.
    """
    found: dict[str, bytes] = {}
    total = 0
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root)
        for name in dirs:
            if (base / name).is_symlink():
                raise ArtifactDigestError(f"{_rel(folder, base / name)} is a symlink: refused")
        for name in files:
            path = base / name
            if not stat.S_ISREG(path.lstat().st_mode):
                raise ArtifactDigestError(f"{_rel(folder, path)} is not a plain file: refused")
            data = path.read_bytes()
            total += len(data)
            if total > MAX_TREE_BYTES:
                raise ArtifactDigestError(f"{folder.name} holds over {MAX_TREE_BYTES >> 20} MiB")
            found[_rel(folder, path)] = data
    if not found:
        raise ArtifactDigestError(f"{folder.name} holds no file")
    return dict(sorted(found.items()))


def tree_sha256_of(files: Mapping[str, bytes]) -> str:
    """The hex SHA-256 over a folder's files: sorted relative paths plus each file's SHA-256."""
    digest = hashlib.sha256(DIGEST_VERSION.encode())
    for relative in sorted(files):
        name = relative.encode("utf-8")
        content = hashlib.sha256(files[relative]).digest()
        digest.update(len(name).to_bytes(8, "big") + name + content)
    return digest.hexdigest()


def tree_sha256(folder: Path) -> str:
    """`tree_sha256_of(read_tree(folder))`."""
    return tree_sha256_of(read_tree(folder))


def _rel(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix()
