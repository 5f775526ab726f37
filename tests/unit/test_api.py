"""The `api` composition root: the serving app with the CRM segment-update flow plugged in."""

from __future__ import annotations

from lab import api


def test_the_api_serves_predict_and_the_segment_update(settings_factory) -> None:
    paths = {route.path for route in api.create_api(settings_factory()).routes}
    assert {"/predict", "/health", "/crm_segment_update"} <= paths


def test_uvicorn_workers_import_the_composition_root() -> None:
    module, _, name = api.FACTORY.partition(":")
    assert module == api.__name__ and getattr(api, name) is api.app_from_environment
