"""The rendered Prometheus config and rules: contents, `promtool check`, `promtool test rules`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from lab import mlflow_server
from lab.cli import main
from lab.drift import DRIFTED_PSI
from lab.metric_names import DRIFT_ALERT_SHARE
from lab.observability import prometheus as prom
from lab.settings import SettingsError
from tests.support import REPO, require_tool

RULES_TEST = Path(__file__).parent / "promtool" / "rules_test.yml"


def promtool(*args: str | Path) -> subprocess.CompletedProcess:
    tool = require_tool("promtool", "apt install prometheus (it ships promtool)")
    return subprocess.run([tool, *map(str, args)], capture_output=True, text=True, timeout=120)


def test_rendered_config_scrapes_the_lab_ports(settings_factory) -> None:
    settings = settings_factory(API_PORT=18000, CRM_PORT=18001, PROMETHEUS_PORT=19090)
    rendered = prom.render(settings)
    doc = yaml.safe_load(rendered.config.read_text(encoding="utf-8"))
    jobs = {j["job_name"]: j["static_configs"][0]["targets"] for j in doc["scrape_configs"]}
    assert jobs == {
        "api": ["127.0.0.1:18000"],
        "crm": ["127.0.0.1:18001"],
        "mlflow": [f"127.0.0.1:{settings.MLFLOW_PORT}"],
        "prometheus": ["127.0.0.1:19090"],
    }
    assert doc["global"]["scrape_interval"] == "5s"
    assert doc["rule_files"] == [rendered.rules.resolve().as_posix()]
    assert rendered.config.parent == settings.LAB_HOME / "prometheus"


def test_crm_url_wins_over_host_and_port(settings_factory) -> None:
    settings = settings_factory(CRM_URL="http://127.0.0.2:7777/", CRM_PORT=18001)
    doc = yaml.safe_load(prom.render(settings).config.read_text(encoding="utf-8"))
    crm = next(j for j in doc["scrape_configs"] if j["job_name"] == "crm")
    assert crm["static_configs"][0]["targets"] == ["127.0.0.2:7777"]


def test_mlflow_job_can_be_left_out(settings_factory) -> None:
    settings = settings_factory(MLFLOW_PORT=15001)
    doc = yaml.safe_load(prom.render(settings, scrape_mlflow=False).config.read_text())
    assert "mlflow" not in {j["job_name"] for j in doc["scrape_configs"]}


def test_mlflow_server_exposes_its_metrics(settings_factory) -> None:
    settings = settings_factory(MLFLOW_PORT=15001)
    cmd = mlflow_server.command(settings)
    assert mlflow_server.exposes_metrics()  # prometheus-flask-exporter is a dependency
    at = cmd.index("--expose-prometheus")
    assert cmd[at + 1] == str(mlflow_server.metrics_dir(settings))
    mlflow_server.metrics_dir(settings).mkdir(parents=True)
    (mlflow_server.metrics_dir(settings) / "counter_123.db").write_bytes(b"stale")
    mlflow_server.reset_metrics(settings)
    assert not mlflow_server.metrics_dir(settings).exists()


def test_rendered_config_passes_promtool(settings_factory) -> None:
    rendered = prom.render(settings_factory(), scrape_mlflow=True)
    result = promtool("check", "config", rendered.config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_latency_alert_threshold_comes_from_the_settings(settings_factory) -> None:
    rendered = prom.render(settings_factory(LATENCY_SLO_SECONDS=0.2))
    doc = yaml.safe_load(rendered.rules.read_text(encoding="utf-8"))
    rules = {r.get("alert"): r for g in doc["groups"] for r in g["rules"]}
    assert rules[prom.SLO_ALERT]["expr"] == "lab:prediction_latency_seconds:p95_5m > 0.2"
    assert "SLO 0.2 s" in rules[prom.SLO_ALERT]["annotations"]["description"]
    result = promtool("check", "rules", rendered.rules)
    assert result.returncode == 0, result.stdout + result.stderr


def test_committed_rules_pass_promtool_check() -> None:
    result = promtool("check", "rules", REPO / "config" / "prometheus" / "rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_unit_tests_pass() -> None:
    result = promtool("test", "rules", RULES_TEST)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_a_broken_template_is_reported(settings_factory, tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    (cfg / "prometheus").mkdir(parents=True)
    (cfg / "prometheus.yml").write_text("scrape_configs: ['${UNKNOWN}']\n")
    (cfg / "prometheus" / "rules.yml").write_text(
        (REPO / "config" / "prometheus" / "rules.yml").read_text()
    )
    with pytest.raises(prom.PrometheusConfigError, match="UNKNOWN"):
        prom.render(settings_factory(LAB_CONFIG_DIR=cfg))


def test_print_command(settings_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    require_tool("prometheus", "apt install prometheus")
    settings = settings_factory(PROMETHEUS_PORT=19191)
    monkeypatch.setenv("LAB_HOME", str(settings.LAB_HOME))
    monkeypatch.setenv("PROMETHEUS_PORT", "19191")
    result = CliRunner().invoke(main, ["prometheus", "--print-command"])
    assert result.exit_code == 0, result.output
    home = settings.LAB_HOME / "prometheus"
    assert result.output.split()[1:] == [
        f"--config.file={home / 'prometheus.yml'}",
        f"--storage.tsdb.path={home / 'data'}",
        "--storage.tsdb.retention.time=15d",
        "--web.listen-address=127.0.0.1:19191",
    ]


def _rules(path: Path) -> dict[str, dict]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {r.get("alert") or r["record"]: r for g in doc["groups"] for r in g["rules"]}


def test_drift_alert_wait_comes_from_the_settings(settings_factory) -> None:
    assert _rules(REPO / "config" / "prometheus" / "rules.yml")[prom.DRIFT_ALERT]["for"] == "1m"
    rendered = prom.render(settings_factory(DRIFT_ALERT_FOR="5s"))
    assert _rules(rendered.rules)[prom.DRIFT_ALERT]["for"] == "5s"
    result = promtool("check", "rules", rendered.rules)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("value", ["1 minute", "0s", "5", "-1m", "1d"])
def test_a_bad_drift_alert_wait_is_refused(settings_factory, value: str) -> None:
    with pytest.raises(SettingsError, match="DRIFT_ALERT_FOR"):
        settings_factory(DRIFT_ALERT_FOR=value)


def test_drift_thresholds_agree_with_the_code() -> None:
    rules = _rules(REPO / "config" / "prometheus" / "rules.yml")
    alert = rules[prom.DRIFT_ALERT]
    assert alert["expr"] == f"lab:drifted_features_share:serving > {DRIFT_ALERT_SHARE}"
    assert f"PSI above {DRIFTED_PSI}" in alert["annotations"]["description"]
    assert f"> {DRIFTED_PSI})" in alert["annotations"]["description"]
    assert "drifted_features_share" in rules["lab:drifted_features_share:serving"]["expr"]


def test_a_rules_file_without_the_drift_alert_is_refused(settings_factory, tmp_path) -> None:
    cfg = tmp_path / "cfg"
    (cfg / "prometheus").mkdir(parents=True)
    rules = (REPO / "config" / "prometheus" / "rules.yml").read_text()
    (cfg / "prometheus" / "rules.yml").write_text(rules.replace("alert: FeatureDrift", "alert: X"))
    with pytest.raises(prom.PrometheusConfigError, match="FeatureDrift"):
        prom.render_rules(settings_factory(LAB_CONFIG_DIR=cfg))
