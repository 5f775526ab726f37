"""Running the API under uvicorn: one worker, or N with Prometheus multiprocess mode."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from lab.net import bind_error
from lab.serving.logs import logging_config
from lab.settings import Settings

FACTORY = "lab.serving.app:app_from_environment"


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


def run(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve until SIGINT/SIGTERM (uvicorn handles both and drains in-flight requests)."""
    import uvicorn

    from lab.serving.app import create_app

    options = {
        "host": host,
        "port": port,
        "log_config": logging_config(settings.LOG_LEVEL),
        "access_log": False,
        "server_header": False,
        "timeout_graceful_shutdown": 10,
    }
    if workers == 1:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        uvicorn.run(create_app(settings), **options)
        return
    # Workers are new interpreters: they read settings (and this folder) from the environment.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(multiprocess_dir(settings, port))
    os.environ["LAB_HOME"] = str(settings.LAB_HOME)
    uvicorn.run(FACTORY, factory=True, workers=workers, **options)
