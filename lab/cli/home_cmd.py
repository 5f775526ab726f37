"""`lab home`: the learner's one local page (lab/home), on 127.0.0.1:HOME_PORT."""

from __future__ import annotations

import sys

import click

from lab.cli._common import LabError, console, get_settings
from lab.settings import is_loopback


@click.command("home")
def home() -> None:
    """Run the lab's home page on HOME_HOST:HOME_PORT (default http://127.0.0.1:8080).

    One page for the lab (each process, its log, stop/start/restart), the course (modules,
    tasks in English and 繁體中文, the latest `lab check`, a "check this module" button), the
    dashboard (the Grafana dashboard's panels, from Prometheus) and "Try it" forms for the API.
    `lab up` runs it as the Procfile's `home` process. It binds loopback only: every action
    needs the token of the page and its Origin.
    """
    import uvicorn

    from lab.exercises.course import CourseError
    from lab.home import create_app
    from lab.serving.server import PortInUse, check_port

    settings = get_settings()
    if not is_loopback(settings.HOME_HOST):
        raise LabError(
            f"HOME_HOST={settings.HOME_HOST}: the home page stops and starts the lab's processes, "
            "so it binds loopback only (127.0.0.1); reach it from elsewhere with an SSH tunnel"
        )
    try:
        check_port(settings.HOME_HOST, settings.HOME_PORT)
    except PortInUse as exc:
        raise LabError(f"{exc}: stop the other process or set HOME_PORT in .env") from None
    try:
        app = create_app(settings)
    except CourseError as exc:
        raise LabError(str(exc)) from None
    console.print(f"lab home on {settings.home_url}")
    uvicorn.run(
        app,
        host=settings.HOME_HOST,
        port=settings.HOME_PORT,
        log_level="warning",  # no line at idle, nor per request
        access_log=False,
    )
    sys.exit(0)
