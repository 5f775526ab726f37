"""The status table: one row per process with its URL, state, PID, uptime, restarts and RSS."""

from __future__ import annotations

from rich.console import Console

from lab.orchestration.services import services
from lab.orchestration.status import Row, duration, megabytes
from lab.orchestration.table import status_table


def _render(table, width: int = 220) -> str:
    console = Console(record=True, width=width, color_system=None)
    console.print(table)
    return console.export_text()


def _rows() -> list[Row]:
    return [
        Row("mlflow", "http://127.0.0.1:5001", "healthy", 4242, 3723.0, 0, 300 * 2**20),
        Row("crm", "http://127.0.0.1:8001/schema", "stopped"),
        Row(
            "api",
            "http://127.0.0.1:18000/schema",
            "healthy",
            77,
            65.0,
            1,
            200 * 2**20,
            "model v1.2.0-stable from registry",
        ),
        Row("prometheus", "http://127.0.0.1:9090", "crashed", detail="`lab start prometheus`"),
        Row("grafana", "http://127.0.0.1:13000", "missing tool", detail="`lab fetch grafana`"),
    ]


def test_every_process_has_its_state_pid_uptime_restarts_and_rss():
    text = _render(status_table(_rows(), title="lab", total_rss=550 * 2**20))
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 2}
    assert set(lines) == {"mlflow", "crm", "api", "prometheus", "grafana", "total"}
    api = lines["api"].split("│")
    assert [c.strip() for c in api[2:8]] == [
        "http://127.0.0.1:18000/schema",
        "healthy",
        "77",
        "1m05s",
        "1",
        "200 MB",
    ]
    assert "model v1.2.0-stable" in lines["api"]
    assert "1h02m" in lines["mlflow"]
    assert "stopped" in lines["crm"] and "crashed" in lines["prometheus"]
    assert "missing tool" in lines["grafana"] and "lab fetch grafana" in lines["grafana"]
    assert "550 MB" in lines["total"]


def test_names_and_states_are_never_cut_in_an_80_column_terminal():
    text = _render(status_table(_rows(), title="lab", total_rss=1), width=80)
    for word in ("prometheus", "missing tool", "restarts", "healthy", "4242"):
        assert word in text, text


def test_durations_and_sizes_read_plainly():
    assert [duration(s) for s in (None, 5, 75, 7300)] == ["", "5s", "1m15s", "2h01m"]
    assert megabytes(0) == "" and megabytes(3 * 2**20) == "3 MB"


def test_links_use_a_reachable_host_for_wildcard_binds(settings_factory):
    (api,) = services(settings_factory(API_HOST="0.0.0.0", API_PORT=18000), ("api",))
    assert api.link == "http://127.0.0.1:18000/schema"
    (api6,) = services(settings_factory(API_HOST="::1", API_PORT=18000), ("api",))
    assert api6.health_url == "http://[::1]:18000/health"
