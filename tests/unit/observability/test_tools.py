"""The shipped tools.yml: every pin is well-formed, URLs are the publishers' own, and every
OS x CPU has a verified archive to fetch (natively, or an amd64 build where the OS emulates it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lab.observability.tools import (
    Platform,
    ToolConfigError,
    emulated_amd64,
    load_specs,
)

PLATFORMS = [Platform(o, a) for o in ("linux", "darwin", "windows") for a in ("amd64", "arm64")]


@pytest.fixture
def specs(settings_factory):
    return load_specs(settings_factory())


def test_every_platform_is_listed_and_pinned_or_emulated(specs) -> None:
    for spec in specs.values():
        assert set(spec.sha256) == {p.key for p in PLATFORMS}, spec.name
        for plat in PLATFORMS:
            amd64 = emulated_amd64(plat)
            emulated = amd64 is not None and spec.checksum(amd64)
            assert spec.checksum(plat) or emulated, f"{spec.name} {plat.key}: nothing to fetch"
    assert specs["prometheus"].checksum(Platform("linux", "arm64"))  # Linux does not emulate


def test_every_tool_caps_its_download_at_twice_its_pinned_size(specs) -> None:
    for spec in specs.values():
        assert spec.size_mb >= 50, spec.name  # read from tools.yml, not the default
        assert spec.max_download_bytes == 2 * spec.size_mb * 2**20


def test_urls_are_the_official_download_locations(specs) -> None:
    prom, graf = specs["prometheus"], specs["grafana"]
    assert prom.url(Platform("linux", "amd64")) == (
        "https://github.com/prometheus/prometheus/releases/download/"
        f"v{prom.version}/prometheus-{prom.version}.linux-amd64.tar.gz"
    )
    assert prom.url(Platform("windows", "amd64")).endswith(f"{prom.version}.windows-amd64.zip")
    assert graf.url(Platform("linux", "arm64")) == (
        f"https://dl.grafana.com/oss/release/grafana-{graf.version}.linux-arm64.tar.gz"
    )
    assert graf.url(Platform("windows", "amd64")).endswith(f"{graf.version}.windows-amd64.zip")
    assert graf.url(Platform("darwin", "amd64")).startswith(
        f"https://dl.grafana.com/grafana/release/{graf.version}/grafana_{graf.version}_"
    )
    assert graf.url(Platform("darwin", "amd64")).endswith("_darwin_amd64.tar.gz")
    assert graf.url(Platform("darwin", "amd64"), "http://mirror.local/").startswith(
        "http://mirror.local/grafana/release/"
    )


def test_archive_for_a_platform_without_a_sha256_entry_is_refused(
    settings_factory, tmp_path: Path
) -> None:
    doc = yaml.safe_load((settings_factory().LAB_CONFIG_DIR / "tools.yml").read_text())
    doc["grafana"]["archive_for"] = {"plan9-amd64": "x/{version}.tar.gz"}
    (tmp_path / "tools.yml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ToolConfigError, match="archive_for names plan9-amd64"):
        load_specs(settings_factory(LAB_CONFIG_DIR=tmp_path))
