from __future__ import annotations

from pathlib import Path

import pytest

from lab.settings import (
    SHIPPED_DIR,
    SettingsError,
    default_config_dir,
    is_loopback,
    lab_file,
    lab_roots,
    load_settings,
    require_secrets,
    secret_problem,
)


def test_defaults_bind_localhost_and_use_the_documented_ports(settings):
    assert (settings.API_PORT, settings.CRM_PORT, settings.MLFLOW_PORT) == (8000, 8001, 5001)
    assert (settings.PROMETHEUS_PORT, settings.GRAFANA_PORT) == (9090, 3000)
    hosts = {settings.API_HOST, settings.CRM_HOST, settings.MLFLOW_HOST, settings.GRAFANA_HOST}
    assert hosts == {"127.0.0.1"}
    assert settings.tracking_uri == "http://127.0.0.1:5001"
    assert settings.crm_url == "http://127.0.0.1:8001"


def test_explicit_urls_win_over_host_and_port(settings_factory):
    s = settings_factory(MLFLOW_TRACKING_URI="http://mlflow.example:80/", CRM_URL="http://crm:9/")
    assert s.tracking_uri == "http://mlflow.example:80"
    assert s.crm_url == "http://crm:9"


def test_runtime_paths_live_under_lab_home(settings, lab_home: Path):
    assert lab_home.resolve() == settings.LAB_HOME
    for path in (settings.model_path, settings.manifest_path, settings.crm_db_path):
        assert path.is_relative_to(lab_home.resolve())
    assert settings.model_path.name == "sample_model.joblib"
    assert settings.mlflow_db_uri.startswith("sqlite:///")


def test_env_file_is_read_and_environment_wins(tmp_path, monkeypatch, settings_factory):
    env = tmp_path / "lab.env"
    env.write_text("API_PORT=8100\nCRM_PORT=8101\n", encoding="utf-8")
    monkeypatch.setenv("CRM_PORT", "8201")
    s = load_settings(env_file=env)
    assert s.API_PORT == 8100
    assert s.CRM_PORT == 8201


@pytest.mark.parametrize(
    ("key", "value"),
    [("API_PORT", "eighty"), ("MLFLOW_PORT", "70000"), ("PRIMARY_METRIC", "precision")],
)
def test_bad_value_is_one_line_naming_the_key(monkeypatch, settings_factory, key, value):
    monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as info:
        settings_factory()
    message = str(info.value)
    assert "\n" not in message
    assert key in message
    assert value in message


def test_empty_values_in_env_mean_the_default(tmp_path, settings_factory):
    env = tmp_path / "lab.env"
    env.write_text("LAB_CONFIG_DIR=\nSEGMENT_RULES_FILE=\nMLFLOW_TRACKING_URI=\n", encoding="utf-8")
    s = load_settings(env_file=env)
    assert s.LAB_CONFIG_DIR.name == "config"
    assert s.segment_rules_file == s.LAB_CONFIG_DIR / "segments.yml"
    assert s.tracking_uri == s.mlflow_url


@pytest.mark.parametrize(
    ("value", "why"),
    [("<generated>", "placeholder"), ("changeme", "placeholder"), ("short-token", "11 characters")],
)
def test_a_placeholder_or_short_secret_is_refused_naming_the_key(settings_factory, value, why):
    settings = settings_factory(CRM_TOKEN=value)
    with pytest.raises(SettingsError) as info:
        require_secrets(settings, "ADMIN_TOKEN", "CRM_TOKEN")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("CRM_TOKEN ") and why in message and "lab init" in message


def test_long_random_secrets_and_unset_ones_pass(settings_factory):
    require_secrets(settings_factory(ADMIN_TOKEN=""), "ADMIN_TOKEN", "CRM_TOKEN")
    assert secret_problem("CRM_TOKEN", "x" * 16) is None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False),
     ("10.0.0.7", False), ("api.example", False)],
)  # fmt: skip
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


# ---- where the lab's own config/ is found (a checkout, a wheel's copy, the working folder) ----
def _package(root: Path, *, checkout: bool, checkout_config: bool, installed_config: bool) -> Path:
    """A fake `lab` package folder in `root`: maybe in a checkout, maybe with a wheel's copy."""
    package = root / "lab"
    package.mkdir(parents=True)
    if checkout:
        (root / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    if checkout_config:
        (root / "config").mkdir()
    if installed_config:
        (package / SHIPPED_DIR / "config").mkdir(parents=True)
    return package


def test_the_checkouts_config_comes_before_an_installed_copy(tmp_path: Path) -> None:
    package = _package(tmp_path, checkout=True, checkout_config=True, installed_config=True)
    assert default_config_dir(package) == tmp_path / "config"


def test_an_installed_copy_is_found_when_there_is_no_checkout_config(tmp_path: Path) -> None:
    package = _package(tmp_path, checkout=True, checkout_config=False, installed_config=True)
    assert default_config_dir(package) == package / SHIPPED_DIR / "config"


def test_a_config_folder_beside_an_installed_package_is_not_the_labs(tmp_path: Path) -> None:
    # site-packages/config/ of another distribution: no pyproject.toml, so no checkout
    package = _package(tmp_path, checkout=False, checkout_config=True, installed_config=True)
    assert default_config_dir(package) == package / SHIPPED_DIR / "config"
    assert lab_roots(package) == (package / SHIPPED_DIR,)


def test_without_checkout_or_installed_copy_config_is_the_working_folders(tmp_path: Path) -> None:
    package = _package(tmp_path, checkout=False, checkout_config=True, installed_config=False)
    assert default_config_dir(package) == Path("config")
    assert lab_file("Procfile", package) is None


def test_this_checkout_finds_its_own_config_and_procfile() -> None:
    repo = Path(__file__).resolve().parents[2]
    assert default_config_dir() == repo / "config"
    assert lab_file("Procfile") == repo / "Procfile"


def test_lab_config_dir_overrides_the_default(tmp_path: Path, settings_factory) -> None:
    default, overridden = settings_factory(), settings_factory(LAB_CONFIG_DIR=tmp_path)
    assert default_config_dir() == default.LAB_CONFIG_DIR
    assert tmp_path.resolve() == overridden.LAB_CONFIG_DIR
