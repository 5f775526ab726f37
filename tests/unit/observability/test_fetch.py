"""`lab fetch` through its real code path: HTTP download from a local server, SHA-256, unpack."""

from __future__ import annotations

import hashlib
import io
import sys
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from lab.cli import main
from lab.observability import fetch as fetching
from lab.observability.tools import (
    Platform,
    ToolConfigError,
    fetch_platform,
    find_binary,
    find_promtool,
    load_specs,
)

LINUX = Platform("linux", "amd64")
WINDOWS = Platform("windows", "amd64")
VERSION = "3.5.0"


def tar_gz(top: str, files: dict[str, bytes], extra: tarfile.TarInfo | None = None) -> bytes:
    """A .tar.gz of `files` under `top/`, plus one `extra` member as given (say, one that tries
    to escape the install folder)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
        if extra is not None:
            tar.addfile(extra, io.BytesIO(b"#!/bin/sh\necho owned\n") if extra.isfile() else None)
    return buf.getvalue()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


class _QuietServer(ThreadingHTTPServer):
    """A client that stops reading (`lab fetch` past its size cap) is expected here: the broken
    pipe is not printed on the terminal, where it would outlive the test's captured output."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class ArchiveServer:
    """A local HTTP server: path -> bytes; `truncate` sends only half of a body."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.truncate: set[str] = set()
        self.unannounced: set[str] = set()  # sent without Content-Length (ends at close)
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                if self.path not in server.unannounced:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path in server.truncate:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[ArchiveServer]:
    srv = ArchiveServer()
    yield srv
    srv.close()


PROM_FILES = {"prometheus": b"#!/bin/sh\necho prometheus\n", "promtool": b"#!/bin/sh\n"}


def write_tools_yml(
    config_dir: Path,
    prom_sha: dict[str, str | None],
    archive_for: dict[str, str] | None = None,
    size_mb: int = 1,
) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    doc = {
        "prometheus": {
            "version": VERSION,
            "base_url": "http://127.0.0.1:1/unused",
            "archive": "v{version}/prometheus-{version}.{os}-{arch}.{ext}",
            "archive_for": archive_for or {},
            "binaries": ["prometheus", "promtool"],
            "sha256": prom_sha,
            "size_mb": size_mb,
        },
        "grafana": {
            "version": "12.1.0",
            "base_url": "http://127.0.0.1:1/unused",
            "archive": "grafana-{version}.{os}-{arch}.{ext}",
            "binaries": ["bin/grafana"],
            "sha256": {"linux-amd64": None},
        },
    }
    (config_dir / "tools.yml").write_text(yaml.safe_dump(doc), encoding="utf-8")


@pytest.fixture
def setup(server: ArchiveServer, settings_factory, tmp_path: Path):
    """Serve a Prometheus-shaped archive; return (settings, archive path on server, sha)."""

    def make(sha_override: str | None = None, plat: Platform = LINUX, body: bytes | None = None):
        top = f"prometheus-{VERSION}.{plat.key}"
        if body is None:
            files = {n + plat.exe_suffix: d for n, d in PROM_FILES.items()}
            if plat.ext == "zip":
                body = zip_bytes({f"{top}/{n}": d for n, d in files.items()})
            else:
                body = tar_gz(top, files)
        path = f"/v{VERSION}/{top}.{plat.ext}"
        server.files[path] = body
        sha = hashlib.sha256(body).hexdigest()
        cfg = tmp_path / "config"
        write_tools_yml(cfg, {plat.key: sha_override or sha})
        settings = settings_factory(LAB_CONFIG_DIR=cfg, TOOLS_PROMETHEUS_BASE_URL=server.url)
        return settings, path, sha

    return make


def leftovers(settings) -> list[str]:
    tools = settings.tools_dir
    if not tools.exists():
        return []
    names = [p.name for p in tools.iterdir() if p.name != ".downloads"]
    names += [p.name for p in (tools / ".downloads").glob("*")]
    return sorted(names)


def test_good_checksum_installs_the_binaries(setup) -> None:
    settings, _, sha = setup()
    spec = load_specs(settings)["prometheus"]
    seen: list[tuple[int, int | None]] = []
    result = fetching.fetch(settings, spec, LINUX, progress=lambda d, t: seen.append((d, t)))
    target = settings.tools_dir / "prometheus"
    assert result.path == target
    assert result.sha256 == sha
    assert (target / "prometheus").read_bytes() == PROM_FILES["prometheus"]
    assert (target / "prometheus").stat().st_mode & 0o111
    assert fetching.installed_version(settings, "prometheus")["sha256"] == sha
    assert find_binary(settings, "prometheus", LINUX) == target / "prometheus"
    assert find_promtool(settings) == target / "promtool"
    assert seen and seen[-1][0] == seen[-1][1]  # progress reached the announced total
    assert leftovers(settings) == ["prometheus"]


def test_bad_checksum_installs_nothing(setup) -> None:
    settings, _, _ = setup(sha_override="0" * 64)
    spec = load_specs(settings)["prometheus"]
    with pytest.raises(fetching.ChecksumMismatch, match="Nothing was installed"):
        fetching.fetch(settings, spec, LINUX)
    assert leftovers(settings) == []


def test_bad_checksum_keeps_the_previous_install(setup) -> None:
    settings, _, _ = setup()
    spec = load_specs(settings)["prometheus"]
    fetching.fetch(settings, spec, LINUX)
    before = fetching.installed_version(settings, "prometheus")
    bad_settings, _, _ = setup(sha_override="f" * 64)
    with pytest.raises(fetching.ChecksumMismatch):
        fetching.fetch(bad_settings, load_specs(bad_settings)["prometheus"], LINUX)
    assert fetching.installed_version(settings, "prometheus") == before
    assert leftovers(settings) == ["prometheus"]


def test_interrupted_download_leaves_nothing(setup, server: ArchiveServer) -> None:
    settings, path, _ = setup()
    server.truncate.add(path)
    with pytest.raises(fetching.FetchError, match="nothing was installed"):
        fetching.fetch(settings, load_specs(settings)["prometheus"], LINUX)
    assert leftovers(settings) == []


@pytest.mark.parametrize("announced", [True, False])
def test_a_download_over_twice_the_pinned_size_is_stopped(
    setup, server: ArchiveServer, announced: bool
) -> None:
    settings, path, _ = setup(body=b"x" * (2 * 2**20 + 1))  # size_mb 1: the cap is 2 MiB
    if not announced:
        server.unannounced.add(path)
    with pytest.raises(fetching.FetchError, match=r"over 2 MiB .* nothing was installed"):
        fetching.fetch(settings, load_specs(settings)["prometheus"], LINUX)
    assert leftovers(settings) == []


def test_a_download_past_its_deadline_is_stopped_and_installs_nothing(setup) -> None:
    """A server that trickles bytes (each read within the 30 s read timeout) cannot hold the
    fetch forever: the overall deadline stops it. The clock jumps 10 s per look."""
    settings, _, _ = setup(body=b"x" * (1 << 20))  # 16 chunks of 64 KiB
    ticks = iter(range(0, 10_000, 10))
    with pytest.raises(fetching.FetchError, match=r"deadline of 45 s .* nothing was installed"):
        fetching.fetch(
            settings, load_specs(settings)["prometheus"], LINUX,
            deadline=45, clock=lambda: float(next(ticks)),
        )  # fmt: skip
    assert leftovers(settings) == []


def test_a_download_within_its_deadline_installs(setup) -> None:
    settings, _, _ = setup()
    result = fetching.fetch(settings, load_specs(settings)["prometheus"], LINUX, deadline=3600)
    assert result.binaries and all(b.is_file() for b in result.binaries)


def test_the_progress_bar_shows_the_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    from lab.cli import monitor_cmd

    monkeypatch.setattr(monitor_cmd.time, "monotonic", lambda: 1000.0)
    assert monitor_cmd._time_left(1000.0 + 14 * 60 + 32.9) == "deadline in 14:32"
    assert monitor_cmd._time_left(999.0) == "deadline in 0:00"


def test_ctrl_c_during_download_leaves_nothing(setup) -> None:
    settings, _, _ = setup()

    def interrupt(done: int, total: int | None) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetching.fetch(settings, load_specs(settings)["prometheus"], LINUX, progress=interrupt)
    assert leftovers(settings) == []


def test_http_error_is_reported(setup, server: ArchiveServer) -> None:
    settings, path, _ = setup()
    del server.files[path]
    with pytest.raises(fetching.FetchError, match="HTTP 404"):
        fetching.fetch(settings, load_specs(settings)["prometheus"], LINUX)
    assert leftovers(settings) == []


def test_unpinned_platform_downloads_nothing(setup, server: ArchiveServer) -> None:
    settings, _, _ = setup()
    with pytest.raises(fetching.FetchError, match="no SHA-256 is pinned"):
        fetching.fetch(settings, load_specs(settings)["prometheus"], Platform("darwin", "amd64"))
    assert server.requests == []


def test_archive_without_the_binary_installs_nothing(setup) -> None:
    settings, _, _ = setup(body=tar_gz("prometheus-x", {"README": b"no binary"}))
    with pytest.raises(fetching.FetchError, match="has no prometheus"):
        fetching.fetch(settings, load_specs(settings)["prometheus"], LINUX)
    assert leftovers(settings) == []


def test_windows_zip_is_unpacked(setup) -> None:
    settings, _, _ = setup(plat=WINDOWS)
    result = fetching.fetch(settings, load_specs(settings)["prometheus"], WINDOWS)
    assert [b.name for b in result.binaries] == ["prometheus.exe", "promtool.exe"]
    assert all(b.is_file() for b in result.binaries)


def test_zip_with_a_path_escape_is_refused(setup, tmp_path: Path) -> None:
    body = zip_bytes({"../evil.exe": b"x", "prometheus.exe": b"x", "promtool.exe": b"x"})
    settings, _, _ = setup(plat=WINDOWS, body=body)
    with pytest.raises(fetching.FetchError, match="unsafe path"):
        fetching.fetch(settings, load_specs(settings)["prometheus"], WINDOWS)
    assert not (settings.tools_dir / "evil.exe").exists()
    assert leftovers(settings) == []


def test_refetch_replaces_the_install(setup, server: ArchiveServer) -> None:
    settings, _, _ = setup()
    fetching.fetch(settings, load_specs(settings)["prometheus"], LINUX)
    (settings.tools_dir / "prometheus" / "stale-file").write_text("old")
    fetching.fetch(settings, load_specs(settings)["prometheus"], LINUX)
    assert not (settings.tools_dir / "prometheus" / "stale-file").exists()
    assert leftovers(settings) == ["prometheus"]


def test_cli_fetch(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    plat = Platform.current()
    settings, _, _ = setup(plat=plat)
    monkeypatch.setenv("LAB_HOME", str(settings.LAB_HOME))
    monkeypatch.setenv("LAB_CONFIG_DIR", str(settings.LAB_CONFIG_DIR))
    monkeypatch.setenv("TOOLS_PROMETHEUS_BASE_URL", settings.TOOLS_PROMETHEUS_BASE_URL)
    runner = CliRunner()
    ok = runner.invoke(main, ["fetch", "prometheus", "--deadline", "600"])
    assert ok.exit_code == 0, ok.output
    assert "installed prometheus 3.5.0" in ok.output
    both = runner.invoke(main, ["fetch", "all"])
    assert both.exit_code == 1
    assert "no SHA-256 is pinned for grafana" in both.output


@pytest.mark.parametrize(
    ("native", "arch", "expected"),
    [
        (Platform("windows", "arm64"), "amd64", Platform("windows", "amd64")),
        (Platform("darwin", "arm64"), "amd64", Platform("darwin", "amd64")),
        (Platform("linux", "arm64"), None, Platform("linux", "arm64")),
        (LINUX, "amd64", LINUX),
    ],
)
def test_fetch_platform_allows_only_what_runs_here(native, arch, expected) -> None:
    assert fetch_platform(arch, native) == expected


@pytest.mark.parametrize(
    ("native", "arch"),
    [(Platform("linux", "arm64"), "amd64"), (LINUX, "arm64"), (WINDOWS, "arm64")],
)
def test_fetch_platform_refuses_a_build_that_would_not_run(native, arch) -> None:
    with pytest.raises(ToolConfigError, match=f"would not run on this {native.key}"):
        fetch_platform(arch, native)


def test_unpinned_arm64_points_to_the_emulated_amd64_build(setup, server) -> None:
    settings, _, _ = setup(plat=WINDOWS)  # only windows-amd64 is pinned
    spec = load_specs(settings)["prometheus"]
    with pytest.raises(fetching.FetchError, match="--arch amd64") as err:
        fetching.fetch(settings, spec, Platform("windows", "arm64"))
    assert "emulation" in str(err.value)
    assert server.requests == []
    with pytest.raises(fetching.FetchError) as linux_err:  # Linux has no such fallback
        fetching.fetch(settings, spec, Platform("linux", "arm64"))
    assert "--arch" not in str(linux_err.value)


def test_cli_fetch_arch_amd64_on_apple_silicon(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, _, sha = setup(plat=Platform("darwin", "amd64"))
    monkeypatch.setattr("platform.system", lambda: "Darwin")
    monkeypatch.setattr("platform.machine", lambda: "arm64")
    monkeypatch.setenv("LAB_HOME", str(settings.LAB_HOME))
    monkeypatch.setenv("LAB_CONFIG_DIR", str(settings.LAB_CONFIG_DIR))
    monkeypatch.setenv("TOOLS_PROMETHEUS_BASE_URL", settings.TOOLS_PROMETHEUS_BASE_URL)
    runner = CliRunner()
    native = runner.invoke(main, ["fetch", "prometheus"])
    assert native.exit_code == 1
    assert "darwin-arm64" in native.output and "--arch amd64" in native.output
    emulated = runner.invoke(main, ["fetch", "prometheus", "--arch", "amd64"])
    assert emulated.exit_code == 0, emulated.output
    assert "Rosetta 2" in emulated.output
    marker = fetching.installed_version(settings, "prometheus")
    assert marker is not None and marker["sha256"] == sha
    assert marker["url"].endswith("prometheus-3.5.0.darwin-amd64.tar.gz")
    refused = runner.invoke(main, ["fetch", "prometheus", "--arch", "arm64"])
    assert refused.exit_code == 1 and "no SHA-256 is pinned" in refused.output


def test_a_platform_pinned_under_another_name_is_fetched_by_that_name(
    setup, server: ArchiveServer
) -> None:
    settings, path, sha = setup()
    server.files["/other/build-7/prometheus_linux_amd64.tar.gz"] = server.files.pop(path)
    write_tools_yml(
        settings.LAB_CONFIG_DIR,
        {LINUX.key: sha},
        archive_for={LINUX.key: "other/build-7/prometheus_{os}_{arch}.{ext}"},
    )
    result = fetching.fetch(settings, load_specs(settings)["prometheus"], LINUX)
    assert server.requests == ["/other/build-7/prometheus_linux_amd64.tar.gz"]
    assert result.url.endswith("/other/build-7/prometheus_linux_amd64.tar.gz")
    assert all(b.is_file() for b in result.binaries)


def _tar_with(top: str, files: dict[str, bytes], member: tarfile.TarInfo) -> bytes:
    return tar_gz(top, files, member)


def _escaping(kind: str, top: str) -> tarfile.TarInfo:
    if kind == "dot-dot file":
        member = tarfile.TarInfo(f"{top}/../../../evil")
        member.size = len(b"#!/bin/sh\necho owned\n")
    else:
        member = tarfile.TarInfo(f"{top}/promlink")
        member.type = tarfile.SYMTYPE
        member.linkname = "/etc/passwd" if kind == "absolute link" else "../../../../etc/passwd"
    return member


@pytest.mark.parametrize("kind", ["dot-dot file", "absolute link", "dot-dot link"])
def test_a_tar_member_escaping_the_install_folder_is_refused(setup, tmp_path, kind) -> None:
    top = f"prometheus-{VERSION}.{LINUX.key}"
    body = _tar_with(top, PROM_FILES, _escaping(kind, top))
    settings, _, _ = setup(body=body)
    with pytest.raises(fetching.FetchError, match=r"could not be unpacked .*nothing was installed"):
        fetching.fetch(settings, load_specs(settings)["prometheus"], LINUX)
    assert leftovers(settings) == []
    assert not [p for p in tmp_path.rglob("*") if p.name in ("evil", "promlink")]


def test_cli_fetch_with_a_checksum_mismatch_exits_1_and_installs_nothing(
    setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    plat = Platform.current()
    settings, _, sha = setup(plat=plat, sha_override="0" * 64)
    for key in ("LAB_HOME", "LAB_CONFIG_DIR", "TOOLS_PROMETHEUS_BASE_URL"):
        monkeypatch.setenv(key, str(getattr(settings, key)))
    result = CliRunner().invoke(main, ["fetch", "prometheus"])
    assert result.exit_code == 1, result.output
    flat = " ".join(result.output.split())
    assert f"expected {'0' * 64}, got {sha}" in flat
    assert "Nothing was installed" in flat
    assert "Traceback" not in result.output
    assert leftovers(settings) == []
    assert fetching.installed_version(settings, "prometheus") is None
