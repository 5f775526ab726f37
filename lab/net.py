"""Addresses: can a server bind this one (checked the way a server would bind it, on every OS),
and how a bound host is written in a URL."""

from __future__ import annotations

import socket
import sys

#: how a check's `observed` begins when nothing listened at a service's address (the lab was
#: down): such a run says nothing of the learner's work (lab.exercises.progress)
UNREACHABLE = "cannot connect to "


def bind_error(host: str, port: int) -> OSError | None:
    """The error binding (host, port) gives, as a server would bind it; None when it is free."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return exc
    family, socktype, proto, _, address = infos[0]
    with socket.socket(family, socktype, proto) as sock:
        if sys.platform == "win32":
            # SO_REUSEADDR on Windows would let us bind over a live listener.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)  # type: ignore[attr-defined]
        else:
            # Servers set SO_REUSEADDR, so a socket in TIME_WAIT does not block them.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            return exc
    return None


def url_host(host: str) -> str:
    """The host as it goes into a URL: a wildcard bind (0.0.0.0, ::, empty) is reached on
    127.0.0.1; an IPv6 address goes in brackets."""
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def free_ports(n: int) -> list[int]:
    """`n` distinct TCP ports on 127.0.0.1 that are free now (all held open while chosen, so no
    two are the same)."""
    socks: list[socket.socket] = []
    try:
        for _ in range(n):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(sock)
            sock.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


def free_port() -> int:
    """One TCP port on 127.0.0.1 that is free now."""
    return free_ports(1)[0]
