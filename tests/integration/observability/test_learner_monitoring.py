"""In a workspace, `lab prometheus` (as `lab up` runs it, from the workspace's folder) loads the
learner's own alert rules, never the lab's; a rule file promtool rejects is left out and
Prometheus still runs. Grafana's files provision the learner's dashboards (Grafana itself
cannot be installed here: its files are checked)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lab.exercises import build
from lab.observability import grafana, learner
from lab.settings import load_settings
from tests.support import free_ports, lab_env, lab_process, require_tool, wait_until

pytestmark = pytest.mark.integration

MINE = """groups:
  - name: mine
    rules:
      - alert: MyOwnChurnAlert
        expr: up{job="api"} == 0
        for: 1m
"""


def test_prometheus_in_a_workspace_loads_the_learners_rules_only(tmp_path: Path) -> None:
    require_tool("prometheus", "apt install prometheus")
    require_tool("promtool", "apt install prometheus")
    prom, api = free_ports(2)
    ws = build.create(tmp_path / "ws", "M5", variant="solution", git=False).root
    rules = ws / "config" / "prometheus"
    (rules / "rules.yml").write_text(MINE, encoding="utf-8")
    (rules / "broken.yml").write_text("groups: [{name: x, rules: [{alert: A}]}]\n")
    env = lab_env(tmp_path / "home", PROMETHEUS_PORT=prom, API_PORT=api)
    with lab_process(["prometheus"], env, tmp_path / "p.log",
                     cwd=ws) as proc:  # fmt: skip
        names: set[str] = set()

        def listed() -> bool:
            body = httpx.get(f"http://127.0.0.1:{prom}/api/v1/rules", timeout=2).json()
            names.update(r["name"] for g in body["data"]["groups"] for r in g["rules"])
            return bool(names)

        wait_until(listed, 60, "Prometheus's rules", watch=proc)
    assert names == {"MyOwnChurnAlert"}  # the lab's rules (ChurnApiDown, ...) are not loaded
    log = proc.log()
    assert "left out" in log and "broken.yml" in log


def test_grafana_in_a_workspace_provisions_the_learners_dashboards(tmp_path: Path) -> None:
    ws = build.create(tmp_path / "ws", "M5", variant="solution", git=False).root
    settings = load_settings(env_file=ws / ".env", LAB_HOME=tmp_path / "home")
    own = learner.dashboards_dir(ws)
    assert own == (ws / "dashboards").resolve()
    files = grafana.write_files(settings, own)
    provider = next((files.provisioning / "dashboards").glob("*.yml")).read_text()
    assert own.as_posix() in provider
    assert "learner.json" in files.ini.read_text()
