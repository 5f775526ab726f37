"""`lab fetch`: download a pinned release archive, verify its SHA-256, unpack it atomically.

The archive streams into `<LAB_HOME>/tools/.downloads/` while it is hashed; only an archive whose
digest equals the pin is unpacked, into a staging folder beside the target, and the staging folder
replaces `<LAB_HOME>/tools/<name>/` with one rename. Whatever goes wrong (network, checksum,
a broken archive, Ctrl-C), the partial download and the staging folder are removed and the
previous install, if any, is left as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import stat
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import httpx

from lab.observability.tools import (
    EMULATION,
    Platform,
    ToolSpec,
    base_url_override,
    emulated_amd64,
    install_dir,
)
from lab.settings import Settings

#: Called with (bytes received so far, total bytes or None) while downloading.
Progress = Callable[[int, int | None], None]
MARKER = ".lab-tool.json"
_CHUNK = 1 << 16
#: Longest a whole download may take, in seconds (`lab fetch --deadline`); each read also waits
#: at most `timeout` (30 s), so a server that trickles bytes cannot hold the fetch forever.
DEFAULT_DEADLINE = 900.0


class FetchError(RuntimeError):
    """The fetch failed; nothing was installed. The message says why and what to do."""


class ChecksumMismatch(FetchError):
    pass


@dataclass(frozen=True)
class FetchResult:
    name: str
    version: str
    url: str
    sha256: str
    path: Path  # the install folder
    binaries: tuple[Path, ...]


def fetch(
    settings: Settings,
    spec: ToolSpec,
    plat: Platform | None = None,
    *,
    progress: Progress | None = None,
    timeout: float = 30.0,
    deadline: float = DEFAULT_DEADLINE,
    clock: Callable[[], float] = time.monotonic,
) -> FetchResult:
    """Download, verify and install `spec` for `plat`. `timeout` bounds each read, `deadline`
    the whole download (seconds from now, on `clock`); past either, nothing is installed."""
    plat = plat or Platform.current()
    expected = spec.checksum(plat)
    url = spec.url(plat, base_url_override(settings, spec.name))
    if expected is None:
        raise FetchError(
            f"no SHA-256 is pinned for {spec.name} {spec.version} on {plat.key} in tools.yml, "
            "so nothing was downloaded (an unverified binary is never installed). Copy the "
            "archive's line from the release's published checksums into tools.yml, or install "
            f"{spec.name} with your OS package manager.{_emulation_hint(spec, plat)}"
        )
    tools_dir = settings.tools_dir
    downloads = tools_dir / ".downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    partial = downloads / (spec.archive_name(plat) + ".part")
    staging: Path | None = None
    try:
        limits = _Limits(spec.max_download_bytes, timeout, clock() + deadline, deadline, clock)
        digest = _download(url, partial, progress, limits)
        if digest != expected:
            raise ChecksumMismatch(
                f"checksum mismatch for {url}: expected {expected}, got {digest}. "
                "Nothing was installed. The download was corrupted or the file is not the "
                "pinned release; try again, or check TOOLS_*_BASE_URL."
            )
        staging = Path(tempfile.mkdtemp(prefix=f".{spec.name}-staging-", dir=tools_dir))
        root = _unpack(partial, staging, plat)
        binaries = tuple(root / b for b in spec.binary_paths(plat))
        missing = [str(b.relative_to(root)) for b in binaries if not b.is_file()]
        if missing:
            raise FetchError(f"{url} unpacked but has no {', '.join(missing)}; nothing installed")
        for binary in binaries:
            binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        marker = {"name": spec.name, "version": spec.version, "url": url, "sha256": digest}
        (root / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        target = install_dir(settings, spec.name)
        _replace_dir(root, target)
    finally:
        partial.unlink(missing_ok=True)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return FetchResult(
        name=spec.name,
        version=spec.version,
        url=url,
        sha256=digest,
        path=target,
        binaries=tuple(target / b for b in spec.binary_paths(plat)),
    )


def _emulation_hint(spec: ToolSpec, plat: Platform) -> str:
    amd64 = emulated_amd64(plat)
    if amd64 is None or spec.checksum(amd64) is None:
        return ""
    return (
        f" Or: {EMULATION[plat.os]}, and the {amd64.key} archive is pinned: "
        f"`lab fetch {spec.name} --arch amd64`."
    )


def installed_version(settings: Settings, name: str) -> dict | None:
    """The marker `lab fetch` wrote into an install folder, or None."""
    marker = install_dir(settings, name) / MARKER
    try:
        return json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class _Limits:
    size: int  # bytes
    timeout: float  # seconds per read
    ends_at: float  # on `clock`
    deadline: float  # seconds, as given (for the message)
    clock: Callable[[], float]

    def check(self, url: str, received: int) -> None:
        if self.clock() > self.ends_at:
            raise FetchError(
                f"download of {url} took longer than its deadline of {self.deadline:g} s "
                f"({received / 2**20:.1f} MiB received); nothing was installed. Try again on a "
                "faster connection, or give it more time with `lab fetch --deadline SECONDS`."
            )


def _download(url: str, dest: Path, progress: Progress | None, limits: _Limits) -> str:
    """Stream `url` into `dest`, hashing it; stop at `limits.size` bytes (announced or
    received) and once `limits.ends_at` has passed (checked at every chunk)."""
    hasher = hashlib.sha256()
    received = 0
    limit = limits.size
    try:
        with (
            httpx.stream("GET", url, follow_redirects=True, timeout=limits.timeout) as response,
            dest.open("wb") as out,
        ):
            if response.status_code != 200:
                raise FetchError(f"download failed: {url} answered HTTP {response.status_code}")
            length = response.headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > limit:
                raise FetchError(_too_big(url, limit, total))
            for chunk in response.iter_bytes(_CHUNK):
                limits.check(url, received)
                received += len(chunk)
                if received > limit:
                    raise FetchError(_too_big(url, limit))
                out.write(chunk)
                hasher.update(chunk)
                if progress:
                    progress(received, total)
            limits.check(url, received)
    except httpx.HTTPError as exc:
        raise FetchError(
            f"download of {url} failed ({type(exc).__name__}: {exc}); nothing was installed"
        ) from None
    return hasher.hexdigest()


def _too_big(url: str, limit: int, announced: int | None = None) -> str:
    size = f"announces {announced / 2**20:.1f} MiB" if announced else "sent more"
    return (
        f"{url} {size}, over {limit / 2**20:.0f} MiB (twice the pinned archive's size_mb in "
        "tools.yml); the download was stopped and nothing was installed. Check TOOLS_*_BASE_URL."
    )


def _unpack(archive: Path, staging: Path, plat: Platform) -> Path:
    """Unpack into `staging/unpacked`; return the archive's single top folder (or that folder)."""
    dest = staging / "unpacked"
    dest.mkdir()
    try:
        if plat.ext == "zip":
            _unzip(archive, dest)
        else:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(dest, filter="data")
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise FetchError(
            f"the archive could not be unpacked ({exc}); nothing was installed"
        ) from None
    entries = list(dest.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest


def _unzip(archive: Path, dest: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            parts = PurePosixPath(info.filename.replace("\\", "/")).parts
            if not parts or info.filename.startswith("/") or ".." in parts or ":" in parts[0]:
                raise FetchError(f"unsafe path in archive: {info.filename!r}; nothing installed")
            target = dest.joinpath(*parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                target.chmod(mode)


def _replace_dir(new: Path, target: Path) -> None:
    """Put `new` at `target` by renames; the old install is removed only once `new` is in place."""
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".{target.name}-old")
        if old.exists():
            shutil.rmtree(old)
        target.rename(old)
    try:
        new.rename(target)
    except OSError:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)
