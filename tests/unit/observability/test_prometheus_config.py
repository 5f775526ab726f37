"""The rendered Prometheus config and rules: contents, `promtool check`, `promtool test rules`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from lab import mlflow_server
from lab.cli import main
from lab.observability import prometheus as prom
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
