"""The `api` process's composition root: the serving app with the CRM segment-update flow.

`lab.serving` knows nothing of the packages above it; this module plugs the integration's
router into it (`create_api`) and is what `lab serve` and uvicorn's workers run.
"""

from __future__ import annotations

from litestar import Litestar

from lab.integration import router
from lab.serving import server
from lab.serving.app import create_app
from lab.serving.registry_client import RegistryClient
from lab.settings import Settings, load_settings, require_secrets

#: What each uvicorn worker imports (`--workers N`): `app_from_environment` below.
FACTORY = "lab.api:app_from_environment"


#: Secrets the API uses; a placeholder or short one is refused at start (SettingsError).
SECRETS = ("ADMIN_TOKEN", "CRM_TOKEN", "API_TOKEN", "LAB_SIGNING_KEY")


def create_api(settings: Settings, *, registry: RegistryClient | None = None) -> Litestar:
    """The API as `lab serve` runs it: serving plus `POST /crm_segment_update`."""
    require_secrets(settings, *SECRETS)
    return create_app(settings, extensions=[router.plugin], registry=registry)


def app_from_environment() -> Litestar:
    """Factory for uvicorn (`--factory`): settings from the environment and `.env`."""
    return create_api(load_settings())


def serve(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve the API until SIGINT/SIGTERM (see `lab.serving.server.run`)."""
    server.run(settings, build=create_api, factory=FACTORY, host=host, port=port, workers=workers)
