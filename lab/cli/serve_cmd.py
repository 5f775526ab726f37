"""`lab serve`: run the serving API."""

from __future__ import annotations

import os

import click

from lab.cli._common import LabError, console, signing_settings, warn_in_workspace
from lab.settings import SettingsError, require_secrets


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (default API_HOST, 127.0.0.1).")
@click.option(
    "--port", default=None, type=click.IntRange(1, 65535), help="Port (default API_PORT, 8000)."
)
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="uvicorn worker processes (default API_WORKERS, 1). More than 1 switches /metrics to "
    "prometheus_client's multiprocess mode.",
)
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the champion model: /predict, /health, /ready, /metrics, /admin/reload, /schema.

    The model comes from the MLflow registry (models:/MODEL_NAME@champion); when MLflow is
    unreachable, from LAB_HOME/models/sample_model.skops (skops, after its SHA-256 is verified;
    the .joblib beside it is the course's file and is never unpickled). With
    neither, the API still starts and /health says why. The alias is polled every
    MODEL_POLL_SECONDS and a new champion is swapped in without dropping a request.

    \b
    Example:
      curl -X POST http://127.0.0.1:8000/predict \\
        -d '{"features": [24, 89.5, 5, 3, 30, 1, 2, 1, 12.5, 2]}'
    """
    from lab import api
    from lab.serving import server

    warn_in_workspace("serve")

    settings = signing_settings()
    host = host or settings.API_HOST
    port = port or settings.API_PORT
    workers = workers or settings.API_WORKERS
    # The address really bound decides whether /crm_segment_update needs API_TOKEN; workers
    # (new interpreters) read it from the environment.
    settings = settings.model_copy(update={"API_HOST": host, "API_PORT": port})
    os.environ["API_HOST"], os.environ["API_PORT"] = host, str(port)
    try:
        require_secrets(settings, *api.SECRETS)
    except SettingsError as exc:
        raise LabError(str(exc)) from None
    try:
        server.check_port(host, port)
    except server.PortInUse as exc:
        raise LabError(f"{exc}: stop that process or set API_PORT in .env") from None
    shown = f"[{host}]" if ":" in host else host
    console.print(
        f"API on http://{shown}:{port} (docs /schema/swagger, metrics /metrics), "
        f"{workers} worker{'s' if workers > 1 else ''}; model {settings.MODEL_NAME}@champion "
        f"from {settings.tracking_uri}, fallback {settings.skops_model_path}"
    )
    api.serve(settings, host=host, port=port, workers=workers)
