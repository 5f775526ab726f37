"""Can a server bind this address? Checked the way a server would bind it, on every OS."""

from __future__ import annotations

import socket
import sys


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
