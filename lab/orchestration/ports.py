"""Are the lab's ports free? One clear message per conflict, naming the port and its `.env` key."""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

from lab.net import bind_error
from lab.orchestration.services import Service


@dataclass(frozen=True)
class PortConflict:
    service: Service
    reason: str  # one line: why the port cannot be used
    pid: int | None = None  # the process listening on it, when the OS tells us

    @property
    def message(self) -> str:
        s = self.service
        return (
            f"port {s.port} ({s.port_key}, for {s.name}) on {s.host} {self.reason}: stop what "
            f"uses it, or set {s.port_key} to a free port in .env or the environment"
        )


def listener_pid(port: int) -> int | None:
    """Best effort: the PID listening on `port`, if the OS tells us."""
    with contextlib.suppress(psutil.Error, OSError):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                return conn.pid
    return None


def listener(port: int) -> str | None:
    """Best effort: "pid N (name)" of the process listening on `port`, if the OS tells us."""
    pid = listener_pid(port)
    if pid is None:
        return None
    with contextlib.suppress(psutil.Error):
        return f"pid {pid} ({psutil.Process(pid).name()})"
    return None


def _reason(exc: OSError, port: int) -> str:
    if isinstance(exc, socket.gaierror):
        return f"cannot be bound: the host does not resolve ({exc.strerror})"
    if _in_use(exc):
        who = listener(port)
        return "is already in use" + (f" by {who}" if who else "")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot be bound (permission denied: ports below 1024 need privileges)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return "cannot be bound: that address is not on this machine"
    return f"cannot be bound ({exc.strerror or exc})"


def _in_use(exc: OSError) -> bool:
    return not isinstance(exc, socket.gaierror) and exc.errno in (
        errno.EADDRINUSE,
        getattr(errno, "WSAEADDRINUSE", -1),
        10013,
        10048,
    )


def conflicts(wanted: Iterable[Service]) -> list[PortConflict]:
    """Every service whose port is taken, shared with another service, or not bindable."""
    found: list[PortConflict] = []
    seen: dict[int, Service] = {}
    for service in wanted:
        first = seen.setdefault(service.port, service)
        if first is not service:
            found.append(PortConflict(service, f"is also {first.port_key}, for {first.name}"))
            continue
        error = bind_error(service.host, service.port)
        if error is not None:
            pid = listener_pid(service.port) if _in_use(error) else None
            found.append(PortConflict(service, _reason(error, service.port), pid))
    return found
