"""`lab grafana` up to the exact command line and files (Grafana cannot be installed here)."""

from __future__ import annotations

import configparser
import stat
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from lab.cli import main
from lab.observability import grafana


def read_ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def test_ini_has_absolute_paths_password_and_anonymous_viewer(settings_factory) -> None:
    settings = settings_factory(GRAFANA_PORT=13000, GRAFANA_ADMIN_PASSWORD="s3cret#;pass")
    files = grafana.write_files(settings)
    ini = read_ini(files.ini)
    root = (settings.LAB_HOME / "grafana").resolve()
    assert dict(ini["paths"]) == {
        "data": (root / "data").as_posix(),
        "logs": (root / "logs").as_posix(),
        "plugins": (root / "plugins").as_posix(),
        "provisioning": (root / "provisioning").as_posix(),
    }
    assert all(Path(v).is_absolute() and Path(v).is_dir() for v in ini["paths"].values())
    assert ini["server"]["http_addr"] == "127.0.0.1"
    assert ini["server"]["http_port"] == "13000"
    assert ini["security"]["admin_password"] == '"""s3cret#;pass"""'
    assert ini["auth.anonymous"]["enabled"] == "true"
    assert ini["auth.anonymous"]["org_role"] == "Viewer"
    assert ini["users"]["allow_sign_up"] == "false"
    home_dashboard = Path(ini["dashboards"]["default_home_dashboard_path"])
    assert home_dashboard.is_file() and home_dashboard.name == "mlops-lab.json"
    if sys.platform != "win32":
        assert stat.S_IMODE(files.ini.stat().st_mode) == 0o600


def test_no_anonymous_access_off_localhost(settings_factory) -> None:
    files = grafana.write_files(settings_factory(GRAFANA_HOST="0.0.0.0"))
    assert read_ini(files.ini)["auth.anonymous"]["enabled"] == "false"


@pytest.mark.parametrize("password", ["", "<generated>", "admin", "short"])
def test_weak_or_missing_password_is_refused(settings_factory, password: str) -> None:
    with pytest.raises(grafana.GrafanaConfigError, match="lab init"):
        grafana.write_files(settings_factory(GRAFANA_ADMIN_PASSWORD=password))


def test_provisioning_points_at_prometheus_and_the_dashboards(settings_factory) -> None:
    settings = settings_factory(PROMETHEUS_PORT=19999)
    files = grafana.write_files(settings)
    ds = yaml.safe_load((files.provisioning / "datasources" / "prometheus.yml").read_text())
    (source,) = ds["datasources"]
    assert source["uid"] == grafana.DATASOURCE_UID
    assert source["url"] == "http://127.0.0.1:19999"
    assert source["type"] == "prometheus" and source["isDefault"] is True
    boards = yaml.safe_load((files.provisioning / "dashboards" / "mlops-lab.yml").read_text())
    (provider,) = boards["providers"]
    path = Path(provider["options"]["path"])
    assert provider["type"] == "file" and path.is_absolute()
    assert (path / grafana.DASHBOARD_FILE).is_file()
    assert "$" not in (files.provisioning / "dashboards" / "mlops-lab.yml").read_text()


def fake_grafana(root: Path, name: str = "grafana") -> Path:
    """A Grafana release layout: <home>/bin/grafana and <home>/conf/defaults.ini."""
    (root / "bin").mkdir(parents=True)
    (root / "conf").mkdir()
    (root / "conf" / "defaults.ini").write_text("")
    binary = root / "bin" / name
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    return binary


def test_command_line_of_a_fetched_grafana(settings_factory, monkeypatch) -> None:
    settings = settings_factory(GRAFANA_PORT=13001)
    binary = fake_grafana(settings.tools_dir / "grafana")
    for key in ("LAB_HOME", "GRAFANA_ADMIN_PASSWORD", "GRAFANA_SECRET_KEY"):
        monkeypatch.setenv(key, str(getattr(settings, key)))
    result = CliRunner().invoke(main, ["grafana", "--print-command"])
    assert result.exit_code == 0, result.output
    ini = (settings.LAB_HOME / "grafana" / "grafana.ini").resolve()
    assert result.output.split() == [
        str(binary), "server", "--homepath", str(binary.parent.parent), "--config", str(ini),
    ]  # fmt: skip


def test_old_grafana_server_binary_has_no_subcommand(tmp_path: Path, settings_factory) -> None:
    binary = fake_grafana(tmp_path / "g", "grafana-server")
    files = grafana.write_files(settings_factory())
    assert grafana.command(binary, files)[:2] == [str(binary), "--homepath"]


def test_missing_grafana_prints_the_hint(settings_factory, monkeypatch) -> None:
    settings = settings_factory()
    monkeypatch.setenv("LAB_HOME", str(settings.LAB_HOME))
    monkeypatch.setenv("GRAFANA_ADMIN_PASSWORD", settings.GRAFANA_ADMIN_PASSWORD)
    monkeypatch.setenv("PATH", str(settings.LAB_HOME))  # nothing there
    result = CliRunner().invoke(main, ["grafana", "--print-command"])
    assert result.exit_code == 1
    assert "lab fetch grafana" in result.output


def test_ini_carries_the_generated_secret_key_not_grafanas_public_default(settings_factory):
    settings = settings_factory(GRAFANA_SECRET_KEY="k" * 20 + "#;")
    assert read_ini(grafana.write_files(settings).ini)["security"]["secret_key"] == (
        '"""' + "k" * 20 + '#;"""'
    )
    with pytest.raises(grafana.GrafanaConfigError, match="GRAFANA_SECRET_KEY is only 5"):
        grafana.write_files(settings_factory(GRAFANA_SECRET_KEY="short"))


def test_lab_grafana_generates_a_missing_secret_key_into_env(settings_factory, monkeypatch):
    settings = settings_factory(GRAFANA_SECRET_KEY="")
    env = settings.LAB_HOME / "lab.env"
    env.write_text("GRAFANA_PORT=13001\n", encoding="utf-8")
    monkeypatch.setenv("LAB_ENV_FILE", str(env))
    for key in ("LAB_HOME", "GRAFANA_ADMIN_PASSWORD"):
        monkeypatch.setenv(key, str(getattr(settings, key)))
    monkeypatch.setattr(grafana, "command", lambda binary, files: ["grafana", str(files.ini)])
    monkeypatch.setattr("lab.cli.monitor_cmd.find_binary", lambda s, name: Path("grafana"))
    result = CliRunner().invoke(main, ["grafana", "--print-command"])
    assert result.exit_code == 0, result.output
    assert "generated GRAFANA_SECRET_KEY" in result.stderr
    written = env.read_text(encoding="utf-8").splitlines()
    assert written[0] == "GRAFANA_PORT=13001" and written[1].startswith("GRAFANA_SECRET_KEY=")
    ini = read_ini(settings.LAB_HOME / "grafana" / "grafana.ini")
    assert ini["security"]["secret_key"] == '"""' + written[1].split("=", 1)[1] + '"""'
