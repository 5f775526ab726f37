"""Prometheus and Grafana binaries: the pinned release archives and where a binary is found.

Lookup order when a process starts: `<LAB_HOME>/tools/<name>/` (what `lab fetch` installed),
then PATH (e.g. Debian's `prometheus` package). The pins live in `<LAB_CONFIG_DIR>/tools.yml`.
"""

from __future__ import annotations

import platform
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lab.settings import Settings

TOOL_NAMES = ("prometheus", "grafana")
_OS = {"linux": "linux", "darwin": "darwin", "windows": "windows"}
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
DEFAULT_SIZE_MB = 256  # a tools.yml entry without `size_mb`
#: Names a tool's binary may have on PATH (Debian ships `grafana-server` in older releases).
_PATH_NAMES = {"prometheus": ("prometheus",), "grafana": ("grafana", "grafana-server")}


#: Where an arm64 machine runs amd64 programs too: `lab fetch --arch amd64` may fetch those.
EMULATION = {
    "windows": "Windows 11 on Arm runs x64 programs under its built-in emulation",
    "darwin": "macOS on Apple silicon runs Intel programs under Rosetta 2 "
    "(`softwareupdate --install-rosetta` installs it)",
}


class ToolConfigError(ValueError):
    """tools.yml is missing or malformed; the message says which entry."""


@dataclass(frozen=True)
class Platform:
    os: str  # linux, darwin, windows
    arch: str  # amd64, arm64

    @property
    def key(self) -> str:
        return f"{self.os}-{self.arch}"

    @property
    def ext(self) -> str:
        return "zip" if self.os == "windows" else "tar.gz"

    @property
    def exe_suffix(self) -> str:
        return ".exe" if self.os == "windows" else ""

    @classmethod
    def current(cls) -> Platform:
        system, machine = platform.system().lower(), platform.machine().lower()
        if system not in _OS or machine not in _ARCH:
            raise ToolConfigError(
                f"no release archive for this machine ({system}/{machine}); "
                "install the tool with your OS package manager instead"
            )
        return cls(_OS[system], _ARCH[machine])


def emulated_amd64(native: Platform) -> Platform | None:
    """The amd64 platform an arm64 machine runs too, where its OS emulates amd64 (EMULATION)."""
    if native.arch == "arm64" and native.os in EMULATION:
        return Platform(native.os, "amd64")
    return None


def fetch_platform(arch: str | None = None, native: Platform | None = None) -> Platform:
    """The platform whose archive to fetch: this machine's, or with `arch` an amd64 build on an
    arm64 machine whose OS runs amd64 programs (EMULATION); any other mix would not run here."""
    native = native or Platform.current()
    if arch is None or arch == native.arch:
        return native
    emulated = emulated_amd64(native)
    if emulated is not None and arch == emulated.arch:
        return emulated
    raise ToolConfigError(
        f"an {arch} build would not run on this {native.key} machine; "
        f"leave out --arch to fetch the {native.arch} archive"
    )


@dataclass(frozen=True)
class ToolSpec:
    name: str
    version: str
    base_url: str
    archive: str  # path template below base_url
    binaries: tuple[
        str, ...
    ]  # relative to the unpacked archive's top folder; first is the main one
    sha256: dict[str, str | None]  # platform key -> hex digest, or None when not pinned
    #: platform key -> path template, for a platform whose pinned file has another name
    archive_for: dict[str, str] = field(default_factory=dict)
    #: about the size of the pinned archives (tools.yml `size_mb`); a download stops at twice it
    size_mb: int = DEFAULT_SIZE_MB

    @property
    def max_download_bytes(self) -> int:
        return 2 * self.size_mb * 1024 * 1024

    def archive_path(self, plat: Platform) -> str:
        template = self.archive_for.get(plat.key, self.archive)
        return template.format(version=self.version, os=plat.os, arch=plat.arch, ext=plat.ext)

    def url(self, plat: Platform, base_url: str = "") -> str:
        return f"{(base_url or self.base_url).rstrip('/')}/{self.archive_path(plat)}"

    def archive_name(self, plat: Platform) -> str:
        return self.archive_path(plat).rsplit("/", 1)[-1]

    def checksum(self, plat: Platform) -> str | None:
        return self.sha256.get(plat.key)

    def binary_paths(self, plat: Platform) -> tuple[str, ...]:
        return tuple(b + plat.exe_suffix for b in self.binaries)


def tools_file(settings: Settings) -> Path:
    return settings.LAB_CONFIG_DIR / "tools.yml"


def load_specs(settings: Settings) -> dict[str, ToolSpec]:
    """Every tool pinned in tools.yml, validated."""
    path = tools_file(settings)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ToolConfigError(f"{path} is missing: it pins the tool versions") from None
    except yaml.YAMLError as exc:
        raise ToolConfigError(f"{path} is not valid YAML: {exc}") from None
    specs = {}
    for name in TOOL_NAMES:
        entry = raw.get(name)
        if not isinstance(entry, dict):
            raise ToolConfigError(f"{path}: no `{name}:` entry")
        specs[name] = _spec(path, name, entry)
    return specs


def _spec(path: Path, name: str, entry: dict) -> ToolSpec:
    try:
        sha = {str(k): (str(v).lower() if v else None) for k, v in dict(entry["sha256"]).items()}
        spec = ToolSpec(
            name=name,
            version=str(entry["version"]),
            base_url=str(entry["base_url"]),
            archive=str(entry["archive"]),
            binaries=tuple(str(b) for b in entry["binaries"]),
            sha256=sha,
            archive_for={str(k): str(v) for k, v in dict(entry.get("archive_for") or {}).items()},
            size_mb=int(entry.get("size_mb", DEFAULT_SIZE_MB)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ToolConfigError(f"{path}: `{name}` entry is incomplete ({exc})") from None
    unknown = sorted(set(spec.archive_for) - set(sha))
    if unknown:
        raise ToolConfigError(
            f"{path}: {name} archive_for names {', '.join(unknown)}, which has no sha256 entry"
        )
    for key, digest in sha.items():
        if digest is not None and not _SHA256.match(digest):
            raise ToolConfigError(f"{path}: {name} sha256 for {key} is not 64 hex digits")
    if spec.size_mb < 1:
        raise ToolConfigError(f"{path}: {name} size_mb must be a positive number of megabytes")
    if not spec.binaries:
        raise ToolConfigError(f"{path}: {name} lists no binaries")
    return spec


def base_url_override(settings: Settings, name: str) -> str:
    return {
        "prometheus": settings.TOOLS_PROMETHEUS_BASE_URL,
        "grafana": settings.TOOLS_GRAFANA_BASE_URL,
    }[name]


def install_dir(settings: Settings, name: str) -> Path:
    return settings.tools_dir / name


def find_binary(settings: Settings, name: str, plat: Platform | None = None) -> Path | None:
    """The tool's main binary: LAB_HOME tools first, then PATH; None if neither has it."""
    suffix = (plat or _safe_current()).exe_suffix
    main = {"prometheus": "prometheus", "grafana": "bin/grafana"}[name] + suffix
    local = install_dir(settings, name) / main
    if local.is_file():
        return local
    for candidate in _PATH_NAMES[name]:
        found = shutil.which(candidate)
        if found:
            return Path(found)
    return None


def find_promtool(settings: Settings) -> Path | None:
    """promtool beside a fetched Prometheus, else on PATH."""
    suffix = _safe_current().exe_suffix
    local = install_dir(settings, "prometheus") / f"promtool{suffix}"
    if local.is_file():
        return local
    found = shutil.which("promtool")
    return Path(found) if found else None


def missing_hint(name: str, *, idle: bool = True) -> str:
    """What to do when the binary is nowhere: printed by `lab prometheus` / `lab grafana`."""
    packages = {
        "prometheus": "Debian/Ubuntu: `apt install prometheus`; macOS: `brew install prometheus`",
        "grafana": "macOS: `brew install grafana`; Linux: Grafana's own apt/rpm repository",
    }[name]
    text = (
        f"{name}: no binary found (looked in LAB_HOME/tools/{name} and on PATH).\n"
        f"  Get one with `lab fetch {name}` (official release archive, checksum-verified),\n"
        f"  or from your OS: {packages}."
    )
    if idle:
        text += (
            "\n  Then restart this process. Staying idle so the other lab processes keep running."
        )
    return text


def _safe_current() -> Platform:
    try:
        return Platform.current()
    except ToolConfigError:
        return Platform("linux", "amd64")  # only the .exe suffix matters here
