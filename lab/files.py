"""Files: writing one so that a reader never sees it half-written (every OS), its SHA-256, and
folders only their owner can read."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

#: Windows refuses to rename over a file that another process has open (a worker reading the
#: traffic split, a virus scanner) for as long as it is open: retry a moment before giving up.
_BUSY_RETRIES = 50 if os.name == "nt" else 0
_BUSY_WAIT_SECONDS = 0.02


def write_atomic(path: Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`.

    `mode` (e.g. 0o600 for a file holding secrets) is set when the temporary file is created,
    so the content is never readable by others, not even for a moment. Text is UTF-8.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp.unlink(missing_ok=True)  # a stale one from a crash: never reuse its permissions
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666 if mode is None else mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
        _replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _replace(tmp: Path, path: Path) -> None:
    for attempt in range(_BUSY_RETRIES + 1):
        try:
            tmp.replace(path)
            return
        except PermissionError:
            if attempt == _BUSY_RETRIES:
                raise
            time.sleep(_BUSY_WAIT_SECONDS)


def sha256_file(path: Path) -> str:
    """The SHA-256 of the file's bytes, as hex (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) and make it readable by its owner only: mode 0700 on
    POSIX, whatever the umask, also when it existed already. Windows has no mode bits: a folder
    under the user's profile inherits the profile's per-user ACL."""
    path.mkdir(parents=True, exist_ok=True)
    if os.name != "nt":
        path.chmod(0o700)
    return path
