"""`lab.badges`: the one badge writer (SVG + shields.io JSON), each file written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab import badges, files


def test_a_badge_is_an_svg_and_its_endpoint_json(tmp_path: Path) -> None:
    svg, endpoint = badges.BadgeSpec("M4", "M4 crm", "30/30", "#44cc11").write(tmp_path / "b")
    assert svg.read_text(encoding="utf-8").startswith("<?xml") and "30/30" in svg.read_text()
    assert json.loads(endpoint.read_text(encoding="utf-8")) == {
        "schemaVersion": 1, "label": "M4 crm", "message": "30/30", "color": "44cc11",
    }  # fmt: skip


def test_a_failed_write_leaves_the_old_badge_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = badges.BadgeSpec("total", "lab", "10/100", "#e05d44")
    svg, _ = spec.write(tmp_path)
    before = svg.read_bytes()

    def broken_replace(tmp: Path, path: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files, "_replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        badges.BadgeSpec("total", "lab", "99/100", "#44cc11").write(tmp_path)
    assert svg.read_bytes() == before
