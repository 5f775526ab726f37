"""The reproduced attack of issue 13: an `MLmodel` edited to load a pickle. Nothing of it runs.

A registry version is a folder. The attacker controls the artifact store (not the registry's
tags): they add `evil.pkl`, whose unpickling would create a marker file, and point `MLmodel` at
it. The API verifies the digest over every file before it deserializes anything, so the version
is refused, the marker never appears and skops is never even called; `/health` says why.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml
from litestar.testing import TestClient

from lab.serving.app import create_app
from lab.training import model_io
from tests.unit.serving.test_registry_models import FakeRegistry, saved_model


class Payload:
    """Unpickling this creates `marker`: proof that the pickle ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def tamper(folder: Path, marker: Path) -> None:
    (folder / "evil.pkl").write_bytes(pickle.dumps(Payload(marker)))
    mlmodel = yaml.safe_load((folder / "MLmodel").read_text(encoding="utf-8"))
    flavor = mlmodel["flavors"]["sklearn"]
    flavor.update(serialization_format="pickle", pickled_model="evil.pkl")
    mlmodel["flavors"]["python_function"]["model_path"] = "evil.pkl"
    (folder / "MLmodel").write_text(yaml.safe_dump(mlmodel), encoding="utf-8")


@pytest.fixture
def registry(settings):
    import respx

    with respx.mock(base_url=settings.tracking_uri, assert_all_called=False) as mock:
        yield FakeRegistry(mock, settings)


@pytest.fixture
def deserialized(monkeypatch) -> list[str]:
    """Every call of the lab's one deserializer (skops) is recorded."""
    calls: list[str] = []
    real = model_io.load_skops

    def spy(data: bytes):
        calls.append(f"skops {len(data)} bytes")
        return real(data)

    monkeypatch.setattr(model_io, "load_skops", spy)
    return calls


@pytest.mark.parametrize("tagged", [True, False], ids=["tagged version", "untagged version"])
def test_a_tampered_mlmodel_is_refused_and_nothing_is_deserialized(
    registry, settings, tmp_path, deserialized, tagged
) -> None:
    marker = tmp_path / "payload-ran"
    folder, _ = saved_model(tmp_path / "v1", 1.0)
    registry.add("1", folder, tagged=tagged)  # the digest lab train recorded
    tamper(folder, marker)  # the artifact store changed afterwards
    registry.champion = "1"
    with TestClient(create_app(settings, extensions=())) as client:
        health = client.get("/health").json()
        predicted = client.post("/predict", json={"features": [1.0] * 10})
    assert not marker.exists()
    assert deserialized == []
    reason = health["last_reload_error"]
    assert "version 1" in reason
    assert ("does not match the version's model_tree_sha256" if tagged else "has no") in reason
    assert (health["source"], health["model_version"]) == ("file", "v-unit")  # the fallback
    assert predicted.status_code == 200


def test_even_allowed_unverified_the_lab_never_follows_mlmodel_to_a_pickle(
    registry, settings, tmp_path, deserialized
) -> None:
    marker = tmp_path / "payload-ran"
    folder, _ = saved_model(tmp_path / "v1", 1.0)
    tamper(folder, marker)
    registry.add("1", folder, tagged=False)
    registry.champion = "1"
    settings = settings.model_copy(update={"ALLOW_UNVERIFIED_MODELS": True})
    with TestClient(create_app(settings, extensions=())) as client:
        health = client.get("/health").json()
    assert not marker.exists()  # model.skops was loaded with skops; evil.pkl never opened
    assert len(deserialized) == 1
    assert (health["source"], health["models"][0]["integrity"]) == ("registry", "unverified")
