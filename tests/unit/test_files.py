"""write_atomic: readers see the old content or the new, never a part; a busy target is retried."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from lab import files
from lab.files import private_dir, write_atomic


def test_writes_text_as_utf8_and_replaces_the_old_content(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "split.json"
    write_atomic(target, "first")
    write_atomic(target, "zweite Größe")
    assert target.read_bytes() == "zweite Größe".encode()
    assert [p.name for p in target.parent.iterdir()] == ["split.json"]  # no temporary left


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_the_mode_holds_from_the_first_byte(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    write_atomic(target, "SECRET=1\n", mode=0o600)
    assert target.stat().st_mode & 0o777 == 0o600


def _busy_for(monkeypatch: pytest.MonkeyPatch, times: int) -> list[Path]:
    """Path.replace raises PermissionError `times` times (Windows, target open elsewhere)."""
    real, calls = Path.replace, []

    def replace(self: Path, target: Path) -> Path:
        calls.append(self)
        if len(calls) <= times:
            raise PermissionError(13, "The process cannot access the file")
        return real(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    monkeypatch.setattr(files, "_BUSY_RETRIES", 3)
    monkeypatch.setattr(files, "_BUSY_WAIT_SECONDS", 0.0)
    return calls


def test_a_target_busy_for_a_moment_is_retried(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "split.json"
    target.write_text("old")
    calls = _busy_for(monkeypatch, times=2)
    write_atomic(target, "new")
    assert (target.read_text(), len(calls)) == ("new", 3)


def test_a_target_that_stays_busy_keeps_its_content(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "split.json"
    target.write_text("old")
    calls = _busy_for(monkeypatch, times=99)
    with pytest.raises(PermissionError):
        write_atomic(target, "new")
    assert (target.read_text(), len(calls)) == ("old", 4)
    assert [p.name for p in tmp_path.iterdir()] == ["split.json"]  # the temporary file is gone


@pytest.mark.skipif(os.name == "nt", reason="Windows folders have ACLs, not mode bits")
def test_a_private_dir_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        made = private_dir(tmp_path / "home" / "run")
        (tmp_path / "open").mkdir(mode=0o777)
        private_dir(tmp_path / "open")  # an existing folder is tightened too
    finally:
        os.umask(old)
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "open").stat().st_mode) == 0o700
