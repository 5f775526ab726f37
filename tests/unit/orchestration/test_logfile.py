"""lab.log rotates by size: bounded on disk, whole lines, newest last (issue 13, item 6)."""

from __future__ import annotations

from pathlib import Path

from lab.orchestration.logfile import RotatingLog


def _sizes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(folder.iterdir())}


def test_the_log_never_grows_past_its_bound_and_keeps_whole_lines(tmp_path: Path):
    path = tmp_path / "lab.log"
    with RotatingLog(path, max_bytes=100, backups=2) as log:
        for i in range(200):
            log.write(f"api.1 | line {i:04d}\n".encode())  # 21 bytes
    sizes = _sizes(tmp_path)
    assert set(sizes) == {"lab.log", "lab.log.1", "lab.log.2"}
    assert all(size <= 100 for size in sizes.values())
    newest = path.read_text().splitlines()
    older = (tmp_path / "lab.log.1").read_text().splitlines()
    assert newest[-1] == "api.1 | line 0199"
    assert all(line.startswith("api.1 | line ") and len(line) == 17 for line in older + newest)
    assert int(older[-1][-4:]) + 1 == int(newest[0][-4:])  # no line lost between files


def test_an_existing_log_counts_towards_the_bound(tmp_path: Path):
    path = tmp_path / "lab.log"
    path.write_bytes(b"x" * 90 + b"\n")
    with RotatingLog(path, max_bytes=100, backups=1) as log:
        log.write(b"y" * 20 + b"\n")
    assert (tmp_path / "lab.log.1").read_bytes() == b"x" * 90 + b"\n"
    assert path.read_bytes() == b"y" * 20 + b"\n"
