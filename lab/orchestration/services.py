"""The lab's processes (lab.services) with the addresses the settings give them."""

from __future__ import annotations

from dataclasses import dataclass

from lab.net import url_host
from lab.services import SPECS, ServiceSpec
from lab.settings import Settings

__all__ = ["SPECS", "Service", "ServiceSpec", "services"]


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
        return self.spec.port_key

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
        Service(s, getattr(settings, s.host_key), getattr(settings, s.port_key)) for s in chosen
    ]
