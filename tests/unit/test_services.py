"""`lab.services`: the one list of the lab's processes; what names them elsewhere follows it."""

from __future__ import annotations

import dataclasses

import click

from lab import services
from lab.acceptance.checks import Targets
from lab.cli import main
from lab.exercises import build
from lab.grading import roster
from lab.settings import Settings


def test_every_process_has_its_settings() -> None:
    for spec in services.SPECS:
        assert spec.host_key in Settings.model_fields and spec.port_key in Settings.model_fields
    defaults = dict(zip(services.PORT_KEYS, build.DEFAULT_PORTS, strict=True))
    assert defaults == {"API_PORT": 8000, "CRM_PORT": 8001, "MLFLOW_PORT": 5001,
                        "PROMETHEUS_PORT": 9090, "GRAFANA_PORT": 3000,
                        "HOME_PORT": 8080}  # fmt: skip


def test_what_lab_check_grades_follows_the_list() -> None:
    urls = tuple(f"{name}_url" for name in services.GRADED)
    assert tuple(f.name for f in dataclasses.fields(Targets)) == urls
    assert urls == roster.URL_COLUMNS
    check = main.get_command(click.Context(main), "check")
    assert check is not None
    options = {p.name for p in check.params}
    assert set(urls) <= options
    no_service = next(p for p in check.params if p.name == "not_graded")
    assert tuple(no_service.type.choices) == services.GRADED  # type: ignore[attr-defined]


def test_a_process_by_name() -> None:
    assert services.spec("api").port_key == "API_PORT"
    try:
        services.spec("nope")
    except KeyError as exc:
        assert "known: mlflow, crm, api" in str(exc)
    else:
        raise AssertionError("no KeyError")
