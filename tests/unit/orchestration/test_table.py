"""The status table: one row per process with its link, a coloured status and the detail."""

from __future__ import annotations

from rich.console import Console

from lab.orchestration.health import Health, State
from lab.orchestration.services import services
from lab.orchestration.table import status_table


def _render(table) -> str:
    console = Console(record=True, width=220, color_system=None)
    console.print(table)
    return console.export_text()


def test_every_process_has_its_link_status_and_detail(settings_factory):
    settings = settings_factory(API_PORT=18000, GRAFANA_PORT=13000)
    wanted = services(settings)
    states = {
        "mlflow": Health(State.HEALTHY),
        "crm": Health(State.DOWN),
        "api": Health(State.HEALTHY, "model v1.2.0-stable from registry"),
        "prometheus": Health(State.UNHEALTHY, "/-/ready answered 503"),
        "grafana": Health(State.MISSING, "not installed: `lab fetch grafana` or the OS package"),
    }
    text = _render(status_table([(s, states[s.name]) for s in wanted], title="lab"))
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 2}
    assert set(lines) == {"mlflow", "crm", "api", "prometheus", "grafana"}
    assert "http://127.0.0.1:18000/schema" in lines["api"] and "healthy" in lines["api"]
    assert "model v1.2.0-stable" in lines["api"]
    assert "down" in lines["crm"]
    assert "unhealthy" in lines["prometheus"] and "503" in lines["prometheus"]
    assert "missing" in lines["grafana"] and "lab fetch grafana" in lines["grafana"]
    assert "http://127.0.0.1:13000" in lines["grafana"]


def test_links_use_a_reachable_host_for_wildcard_binds(settings_factory):
    (api,) = services(settings_factory(API_HOST="0.0.0.0", API_PORT=18000), ("api",))
    assert api.link == "http://127.0.0.1:18000/schema"
    (api6,) = services(settings_factory(API_HOST="::1", API_PORT=18000), ("api",))
    assert api6.health_url == "http://[::1]:18000/health"
