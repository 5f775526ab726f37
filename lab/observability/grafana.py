"""`lab grafana`: grafana.ini and provisioning under LAB_HOME, and the command that runs Grafana.

Grafana does not expand `~` and the standalone binary needs `--homepath`, so every path written
here is absolute. The provisioning files of `config/grafana/provisioning/` are templates
(`${PROMETHEUS_URL}`, `${DASHBOARDS_DIR}`) rendered into `<LAB_HOME>/grafana/provisioning/`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from lab.files import write_atomic
from lab.settings import Settings, is_loopback, secret_problem

DATASOURCE_UID = "lab-prometheus"
DASHBOARD_FILE = "mlops-lab.json"
_PLACEHOLDER_VALUES = ("", "<generated>", "admin")


class GrafanaConfigError(ValueError):
    pass


@dataclass(frozen=True)
class GrafanaFiles:
    ini: Path
    provisioning: Path
    data: Path
    logs: Path
    plugins: Path


def home(settings: Settings) -> Path:
    return settings.LAB_HOME / "grafana"


def dashboards_dir(settings: Settings, learner: Path | None = None) -> Path:
    """The lab's dashboards, or `learner`: a workspace's own (lab.observability.learner)."""
    return learner or settings.LAB_CONFIG_DIR / "grafana" / "dashboards"


def provisioning_source(settings: Settings) -> Path:
    return settings.LAB_CONFIG_DIR / "grafana" / "provisioning"


def write_files(settings: Settings, learner_dashboards: Path | None = None) -> GrafanaFiles:
    """Write grafana.ini and the rendered provisioning; return the paths."""
    password = settings.GRAFANA_ADMIN_PASSWORD
    if password in _PLACEHOLDER_VALUES or len(password) < 8:
        raise GrafanaConfigError(
            "GRAFANA_ADMIN_PASSWORD is empty, a placeholder or shorter than 8 characters: "
            "run `lab init` (it generates one into .env) or set a strong one"
        )
    key_problem = (
        secret_problem("GRAFANA_SECRET_KEY", settings.GRAFANA_SECRET_KEY)
        if settings.GRAFANA_SECRET_KEY
        else "GRAFANA_SECRET_KEY is empty: `lab grafana` generates one into .env, or run `lab init`"
    )
    if key_problem:
        raise GrafanaConfigError(key_problem)
    root = home(settings).resolve()
    files = GrafanaFiles(
        ini=root / "grafana.ini",
        provisioning=root / "provisioning",
        data=root / "data",
        logs=root / "logs",
        plugins=root / "plugins",
    )
    for folder in (files.data, files.logs, files.plugins):
        folder.mkdir(parents=True, exist_ok=True)
    render_provisioning(settings, files.provisioning, learner_dashboards)
    _write_private(files.ini, ini_text(settings, files, learner_dashboards))
    return files


def render_provisioning(
    settings: Settings, out: Path, learner_dashboards: Path | None = None
) -> list[Path]:
    source = provisioning_source(settings)
    if not source.is_dir():
        raise GrafanaConfigError(f"{source} is missing (Grafana provisioning templates)")
    values = {
        "PROMETHEUS_URL": settings.prometheus_url,
        "DASHBOARDS_DIR": dashboards_dir(settings, learner_dashboards).resolve().as_posix(),
    }
    written = []
    for kind in ("datasources", "dashboards", "plugins", "alerting"):
        (out / kind).mkdir(parents=True, exist_ok=True)
    for template in sorted(source.rglob("*.yml")):
        target = out / template.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            text = string.Template(template.read_text(encoding="utf-8")).substitute(values)
        except (KeyError, ValueError) as exc:
            raise GrafanaConfigError(f"{template}: unknown or bad placeholder {exc}") from None
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def ini_text(
    settings: Settings, files: GrafanaFiles, learner_dashboards: Path | None = None
) -> str:
    anonymous = is_loopback(settings.GRAFANA_HOST)
    folder = dashboards_dir(settings, learner_dashboards)
    first = next(iter(sorted(folder.glob("*.json"))), None) if learner_dashboards else None
    home_dashboard = (first or folder / DASHBOARD_FILE).resolve().as_posix()
    sections = {
        "paths": {
            "data": files.data.as_posix(),
            "logs": files.logs.as_posix(),
            "plugins": files.plugins.as_posix(),
            "provisioning": files.provisioning.as_posix(),
        },
        "server": {
            "protocol": "http",
            "http_addr": settings.GRAFANA_HOST,
            "http_port": str(settings.GRAFANA_PORT),
            "root_url": settings.grafana_url + "/",
        },
        "database": {"type": "sqlite3", "path": "grafana.db"},
        "security": {
            "admin_user": "admin",
            # Triple quotes: Grafana's ini reader would cut a value at `#` or `;` otherwise.
            "admin_password": f'"""{settings.GRAFANA_ADMIN_PASSWORD}"""',
            # Grafana's own default secret_key is public: anyone could forge what it signs.
            "secret_key": f'"""{settings.GRAFANA_SECRET_KEY}"""',
            "disable_gravatar": "true",
            "cookie_samesite": "strict",
        },
        "users": {"allow_sign_up": "false", "allow_org_create": "false"},
        # A learner on this machine sees the dashboard without logging in, read-only.
        "auth.anonymous": {
            "enabled": "true" if anonymous else "false",
            "org_name": "Main Org.",
            "org_role": "Viewer",
        },
        "dashboards": {"default_home_dashboard_path": home_dashboard},
        "analytics": {
            "reporting_enabled": "false",
            "check_for_updates": "false",
            "check_for_plugin_updates": "false",
        },
        "news": {"news_feed_enabled": "false"},
        "log": {"mode": "console file", "level": settings.LOG_LEVEL.lower()},
    }
    lines = [
        "; Written by `lab grafana` at every start; change .env or lab/observability/grafana.py."
    ]
    for section, values in sections.items():
        lines.append(f"\n[{section}]")
        lines.extend(f"{key} = {value}" for key, value in values.items())
    return "\n".join(lines) + "\n"


def homepath(binary: Path) -> Path:
    """The folder holding Grafana's `conf/defaults.ini` for this binary."""
    resolved = binary.resolve()
    candidates = [
        binary.parent.parent,  # the release archive: <home>/bin/grafana
        resolved.parent.parent,
        resolved.parent.parent / "share" / "grafana",  # Homebrew
        Path("/usr/share/grafana"),  # Debian/RPM packages
    ]
    for candidate in candidates:
        if (candidate / "conf" / "defaults.ini").is_file():
            return candidate
    return binary.parent.parent


def command(binary: Path, files: GrafanaFiles) -> list[str]:
    # The old `grafana-server` binary takes the same flags without the `server` subcommand.
    sub = [] if binary.name.startswith("grafana-server") else ["server"]
    return [
        str(binary),
        *sub,
        "--homepath",
        str(homepath(binary)),
        "--config",
        str(files.ini),
    ]


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds the admin password)."""
    write_atomic(path, text, mode=0o600)
