"""The lab's six processes: their Procfile names, addresses, health checks and links."""

from __future__ import annotations

from dataclasses import dataclass

from lab.net import url_host
from lab.settings import Settings


@dataclass(frozen=True)
class ServiceSpec:
    """What the lab knows about one Procfile process, independent of the settings."""

    name: str  # the Procfile process name
    title: str  # what a learner opens it for
    key: str  # settings prefix: <key>_HOST, <key>_PORT
    health_path: str
    link_path: str = ""
    tool: str | None = None  # the external binary it needs, if any


SPECS: tuple[ServiceSpec, ...] = (
    ServiceSpec("mlflow", "MLflow UI", "MLFLOW", "/health"),
    ServiceSpec("crm", "CRM API docs", "CRM", "/health", "/schema"),
    ServiceSpec("api", "API docs", "API", "/health", "/schema"),
    ServiceSpec("prometheus", "Prometheus", "PROMETHEUS", "/-/ready", tool="prometheus"),
    ServiceSpec("grafana", "dashboards", "GRAFANA", "/api/health", tool="grafana"),
    ServiceSpec("home", "lab home", "HOME", "/health", "/"),
)


@dataclass(frozen=True)
class Service:
    """A process with the addresses the current settings give it."""

    spec: ServiceSpec
    host: str
    port: int

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def port_key(self) -> str:
        return f"{self.spec.key}_PORT"

    @property
    def base_url(self) -> str:
        return f"http://{url_host(self.host)}:{self.port}"

    @property
    def health_url(self) -> str:
        return self.base_url + self.spec.health_path

    @property
    def link(self) -> str:
        return self.base_url + self.spec.link_path


def services(settings: Settings, names: tuple[str, ...] | None = None) -> list[Service]:
    """The services in start order (all, or those named), with host and port from `settings`."""
    chosen = [s for s in SPECS if names is None or s.name in names]
    return [
        Service(s, getattr(settings, f"{s.key}_HOST"), getattr(settings, f"{s.key}_PORT"))
        for s in chosen
    ]
