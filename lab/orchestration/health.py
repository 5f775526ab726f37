"""Is each service answering its health URL? One probe, one state, one line of detail."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import httpx

from lab.orchestration.services import Service


class State(StrEnum):
    HEALTHY = "healthy"
    STARTING = "starting"  # not answering yet, while `lab up` waits
    UNHEALTHY = "unhealthy"  # answers, but not 200
    DOWN = "down"  # nothing answers
    MISSING = "missing"  # its binary is not installed


@dataclass(frozen=True)
class Health:
    state: State
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state is State.HEALTHY


def probe(client: httpx.Client, service: Service) -> Health:
    try:
        response = client.get(service.health_url)
    except httpx.TimeoutException:
        return Health(State.UNHEALTHY, "health check timed out")
    except httpx.HTTPError:
        return Health(State.DOWN, "")
    if response.status_code != 200:
        return Health(
            State.UNHEALTHY, f"{service.spec.health_path} answered {response.status_code}"
        )
    return Health(State.HEALTHY, _detail(service.name, response))


def _detail(name: str, response: httpx.Response) -> str:
    """What the API's /health says about its model; nothing for the other services."""
    if name != "api":
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict) or "model_loaded" not in body:
        return ""
    if body.get("model_loaded"):
        where = f" from {body['source']}" if body.get("source") else ""
        return f"model {body.get('model_version', '?')}{where}"
    return f"no model: {body.get('reason') or 'see the API log'}"


def client(timeout: float = 2.0) -> httpx.Client:
    """A client for probes: short timeouts, no proxies from the environment (all local)."""
    return httpx.Client(timeout=timeout, trust_env=False)
