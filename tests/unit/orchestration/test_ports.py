"""Port checks: a taken, shared or unbindable port gives one line naming the port and its key."""

from __future__ import annotations

import os
import socket

import psutil
import pytest

from lab.orchestration import ports, preflight
from lab.orchestration.services import services
from lab.services import PORT_KEYS
from tests.support import free_port, free_ports


@pytest.fixture
def listening():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


def _all_free(**override):
    """A free port for every process of the one list (lab.services), then `override`."""
    values = dict(zip(PORT_KEYS, free_ports(len(PORT_KEYS)), strict=True))
    values.update(override)
    return values


def test_free_ports_give_no_conflict(settings_factory):
    assert ports.conflicts(services(settings_factory(**_all_free()))) == []


def test_a_port_in_use_names_the_port_its_key_and_the_fix(settings_factory, listening):
    wanted = services(settings_factory(**_all_free(API_PORT=listening)))
    (conflict,) = ports.conflicts(wanted)
    assert conflict.service.name == "api"
    message = conflict.message
    assert f"port {listening}" in message
    assert "API_PORT" in message
    assert "already in use" in message
    assert ".env" in message


def _os_tells_listeners() -> bool:
    try:
        psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:  # macOS without root
        return False
    return True


def test_the_listener_is_named_when_the_os_tells(listening):
    if _os_tells_listeners():
        assert ports.listener(listening) == f"pid {os.getpid()} ({psutil.Process().name()})"
    else:
        assert ports.listener(listening) is None


def test_a_port_nobody_listens_on_has_no_listener():
    assert ports.listener(free_port()) is None


def test_two_services_on_one_port_is_a_conflict(settings_factory):
    port = free_port()
    wanted = services(settings_factory(**_all_free(CRM_PORT=port, GRAFANA_PORT=port)))
    (conflict,) = ports.conflicts(wanted)
    assert conflict.service.name == "grafana"
    assert "CRM_PORT" in conflict.message and "GRAFANA_PORT" in conflict.message


def test_an_unknown_host_is_a_conflict_not_a_crash(settings_factory):
    wanted = services(settings_factory(**_all_free(), API_HOST="no-such-host.invalid"))
    (conflict,) = ports.conflicts(wanted)
    assert "API_PORT" in conflict.message and "resolve" in conflict.message


def test_a_taken_port_of_a_missing_tool_is_only_a_warning(settings_factory, listening):
    wanted = services(settings_factory(**_all_free(GRAFANA_PORT=listening)))
    errors, warnings = preflight.port_problems(wanted, {"grafana": "not installed"})
    assert errors == []
    assert len(warnings) == 1 and "GRAFANA_PORT" in warnings[0]
    errors, _ = preflight.port_problems(wanted, {})
    assert len(errors) == 1
