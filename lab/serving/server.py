"""Running the API under uvicorn: one worker, or N with Prometheus multiprocess mode."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lab.net import bind_error
from lab.serving.logs import logging_config
from lab.settings import Settings


class PortInUse(OSError):
    pass


def check_port(host: str, port: int) -> None:
    """Raise `PortInUse` when host:port cannot be bound (another process listens there)."""
    exc = bind_error(host, port)
    if exc is not None:
        raise PortInUse(f"{host}:{port} is taken ({exc.strerror})")


def multiprocess_dir(settings: Settings, port: int) -> Path:
    """A fresh folder for prometheus_client's per-worker files (stale ones would add up)."""
    path = settings.run_dir / f"prometheus-api-{port}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


def run(
    settings: Settings,
    *,
    build: Callable[[Settings], Any],
    factory: str,
    host: str,
    port: int,
    workers: int,
) -> None:
    """Serve until SIGINT/SIGTERM (uvicorn handles both and drains in-flight requests).

    One worker serves `build(settings)`; N workers each import `factory` ("module:function",
    a function of no arguments that reads the settings from the environment)."""
    import uvicorn

    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": logging_config(settings.LOG_LEVEL),
        "access_log": False,
        "server_header": False,
        "timeout_graceful_shutdown": 10,
    }
    if workers == 1:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        uvicorn.run(build(settings), **options)
        return
    # Workers are new interpreters: they read settings (and this folder) from the environment.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(multiprocess_dir(settings, port))
    os.environ["LAB_HOME"] = str(settings.LAB_HOME)
    uvicorn.run(factory, factory=True, workers=workers, **options)
