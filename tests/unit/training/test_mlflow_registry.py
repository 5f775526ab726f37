from __future__ import annotations

import os

from lab.training import mlflow_registry


def test_configure_does_not_leak_the_tracking_uri_into_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "http://kept:1")
    uri = "sqlite:///" + (tmp_path / "m.db").as_posix()
    mlflow_registry.configure(mlflow_registry.Tracking(uri=uri, via_server=False, ui_url=None))
    assert "MLFLOW_TRACKING_URI" not in os.environ
    assert os.environ["MLFLOW_REGISTRY_URI"] == "http://kept:1"
    import mlflow

    assert mlflow.get_tracking_uri() == uri
