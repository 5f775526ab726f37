"""Loading `models:/<name>@champion`: real MLflow model folders, the registry's REST answers
played by respx (to move the alias and inject its faults without a server)."""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path

import httpx
import mlflow.sklearn
import numpy as np
import pytest
import respx
from litestar.testing import TestClient

from lab import data
from lab.artifacts import tree_sha256
from lab.serving.app import create_app
from lab.training import pipeline
from lab.training.mlflow_registry import SPLIT_TAG
from lab.training.model_io import TREE_TAG
from lab.training.signing import SIGNATURE_TAG, sign_share, sign_version
from tests.model_files import write_model
from tests.unit.serving.conftest import ADMIN, metric_value

ROWS = data.generate_features(4, seed=9)


class FakeRegistry:
    """MLflow's alias and download-URI endpoints, answering what the test sets."""

    def __init__(self, mock: respx.MockRouter, settings) -> None:
        self.versions: dict[str, Path] = {}
        self.champion: str | None = None
        self.challenger: str | None = None
        self.tags: dict[str, dict[str, str]] = {}  # extra tags per version
        self.digests: dict[str, str] = {}  # the model_tree_sha256 tag per version
        api = f"{settings.tracking_uri}/api/2.0/mlflow"
        self.uri_route = mock.get(f"{api}/model-versions/get-download-uri")
        self.fault: httpx.Response | Exception | None = None
        self.name = settings.MODEL_NAME
        self.alias_route = mock.get(f"{api}/registered-models/alias")
        self.alias_route.mock(side_effect=self._alias)
        self.split: str | None = None  # the registered model's rollout.challenger_share tag
        mock.get(f"{api}/registered-models/get").mock(side_effect=self._model)
        self.set_tag = mock.post(f"{api}/registered-models/set-tag").mock(side_effect=self._tag)
        self.uri_route.mock(side_effect=self._uri)
        self.answers: list[int] = []  # status codes of the alias endpoint
        self.key = settings.LAB_SIGNING_KEY
        self.unsigned: set[str] = set()  # versions another MLflow client registered

    def add(self, version: str, folder: Path, *, tagged: bool = True, signed: bool = True) -> None:
        """Register `folder`; `tagged`: with the digest `lab train` records (taken now, so a
        file changed later no longer matches it); `signed`: with the lab's signature over the
        version's tags as the registry answers them (False: another MLflow client's version)."""
        self.versions[version] = folder
        if tagged:
            self.digests[version] = tree_sha256(folder)
        if not signed:
            self.unsigned.add(version)

    def signed_split(self, share: str) -> str:
        """The split tag's value as `lab rollout` records it (signed)."""
        return sign_share(self.key, self.name, share)

    def uri_calls(self) -> int:
        """How many downloads were prepared (one per model load from the registry)."""
        return self.uri_route.call_count

    def _model(self, request: httpx.Request) -> httpx.Response:
        """registered-models/get: the model's record, with its aliases and tags."""
        if self.fault is not None:
            if isinstance(self.fault, Exception):
                raise self.fault
            return self.fault
        if not self.versions:
            return httpx.Response(404, json={"error_code": "RESOURCE_DOES_NOT_EXIST"})
        aliases = [
            {"alias": a, "version": v}
            for a, v in (("champion", self.champion), ("challenger", self.challenger))
            if v is not None
        ]
        tags = [] if self.split is None else [{"key": SPLIT_TAG, "value": self.split}]
        model = {"name": self.name, "aliases": aliases, "tags": tags}
        return httpx.Response(200, json={"registered_model": model})

    def _alias(self, request: httpx.Request) -> httpx.Response:
        response = self._alias_answer(request)
        self.answers.append(response.status_code)
        return response

    def _alias_answer(self, request: httpx.Request) -> httpx.Response:
        if self.fault is not None:
            if isinstance(self.fault, Exception):
                raise self.fault
            return self.fault
        assert request.url.params["name"] == self.name
        alias = request.url.params["alias"]
        version = getattr(self, alias)
        if version is None and not self.versions:
            return httpx.Response(404, json={"error_code": "RESOURCE_DOES_NOT_EXIST"})
        if version is None:  # what MLflow answers when the model exists but the alias does not
            message = f"Registered model alias {alias} not found."
            return httpx.Response(400, json={"error_code": "INVALID_PARAMETER_VALUE",
                                             "message": message})  # fmt: skip
        tags = {"version_label": f"label-{version}"}
        if version in self.digests:
            tags[TREE_TAG] = self.digests[version]
        tags.update(self.tags.get(version, {}))
        if version not in self.unsigned:
            tags[SIGNATURE_TAG] = sign_version(
                self.key, self.name, version, tags.get(TREE_TAG, ""), tags["version_label"]
            )
        listed = [{"key": k, "value": v} for k, v in tags.items()]
        return httpx.Response(200, json={"model_version": {"version": version, "tags": listed}})

    def _tag(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["key"] == SPLIT_TAG:
            self.split = body["value"]
        return httpx.Response(200, json={})

    def _uri(self, request: httpx.Request) -> httpx.Response:
        folder = self.versions[request.url.params["version"]]
        return httpx.Response(200, json={"artifact_uri": folder.as_uri()})


@functools.cache
def _saved_files(c: float) -> tuple[dict[str, bytes], object]:
    """The files `mlflow.sklearn.save_model` writes for the model of `c`, and the model: built
    once per test process (about a second each; the serving tests ask for ~50 folders per run)."""
    ds = data.generate(400, seed=int(c * 10))
    model = pipeline.build(c, 0).fit(ds.X, ds.y)
    with tempfile.TemporaryDirectory(prefix="lab-saved-model-") as tmp:
        folder = Path(tmp) / "model"
        mlflow.sklearn.save_model(
            model, folder, serialization_format="skops", pip_requirements=["scikit-learn"]
        )
        files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
                 if p.is_file()}  # fmt: skip
    return files, model


def saved_model(folder: Path, c: float) -> tuple[Path, object]:
    """A real MLflow model folder (skops) of a pipeline fitted with C=`c`, written to `folder`
    (a fresh copy each call: a test may corrupt or edit its files)."""
    files, model = _saved_files(c)
    for rel, content in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(content)
    return folder, model


@pytest.fixture
def registry(settings):
    with respx.mock(base_url=settings.tracking_uri, assert_all_called=False) as mock:
        yield FakeRegistry(mock, settings)


def test_the_champion_is_served_and_an_alias_move_is_picked_up(registry, settings, tmp_path):
    folder7, model7 = saved_model(tmp_path / "v7", 1.0)
    folder8, model8 = saved_model(tmp_path / "v8", 0.05)
    registry.add("7", folder7)
    registry.add("8", folder8)
    registry.champion = "7"
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()
        assert (health["source"], health["registry_version"], health["model_version"]) == (
            "registry", "7", "label-7",
        )  # fmt: skip
        first = client.post("/predict", json={"instances": ROWS.tolist()}).json()
        registry.champion = "8"
        moved = client.post("/admin/reload", headers=ADMIN).json()
        second = client.post("/predict", json={"instances": ROWS.tolist()}).json()
        metrics = client.get("/metrics").text
    assert np.allclose(first["probabilities"], model7.predict_proba(ROWS)[:, 1], atol=1e-12)
    assert (moved["outcome"], moved["registry_version"]) == ("reloaded", "8")
    assert second["model_version"] == "label-8"
    assert np.allclose(second["probabilities"], model8.predict_proba(ROWS)[:, 1], atol=1e-12)
    assert metric_value(metrics, "model_loaded", registry_version="8", source="registry") == 1
    assert metric_value(metrics, "model_loaded", registry_version="7", source="registry") == 0


def _good_1_and_broken_2(registry, tmp_path) -> None:
    """Version 1 loads and is the champion; version 2's model file is corrupt."""
    registry.add("1", saved_model(tmp_path / "v1", 1.0)[0])
    broken, _ = saved_model(tmp_path / "v2", 0.5)
    (broken / "model.skops").write_bytes(b"PK\x03\x04 this is not a skops archive")
    registry.add("2", broken)
    registry.champion = "1"


def test_a_corrupt_registry_artifact_is_refused(registry, settings, tmp_path) -> None:
    _good_1_and_broken_2(registry, tmp_path)
    with TestClient(create_app(settings)) as client:
        registry.champion = "2"
        refused = client.post("/admin/reload", headers=ADMIN)
        still = client.post("/predict", json={"features": ROWS[0].tolist()})
        health = client.get("/health").json()
        failures = metric_value(client.get("/metrics").text, "model_reload_failures_total")
    assert refused.status_code == 502
    assert "version 2 does not load" in refused.json()["detail"]
    assert still.status_code == 200
    assert still.json()["registry_version"] == "1"
    assert "version 2" in health["last_reload_error"]
    assert failures == 1


def test_a_registry_artifact_without_model_skops_is_refused(registry, settings, tmp_path) -> None:
    """A version logged some other way (no model.skops; a pickle beside it) is never loaded."""
    registry.add("1", saved_model(tmp_path / "v1", 1.0)[0])
    other, _ = saved_model(tmp_path / "v2", 0.5)
    (other / "model.skops").rename(other / "model.bin")
    registry.add("2", other)
    registry.champion = "1"
    with TestClient(create_app(settings, extensions=())) as client:
        registry.champion = "2"
        refused = client.post("/admin/reload", headers=ADMIN)
        still = client.post("/predict", json={"features": ROWS[0].tolist()})
        failures = metric_value(client.get("/metrics").text, "model_reload_failures_total")
    assert refused.status_code == 502, refused.text
    assert "version 2: no serialized model in" in refused.json()["detail"]
    assert "(expected model.skops)" in refused.json()["detail"]
    assert (still.status_code, still.json()["registry_version"]) == (200, "1")
    assert failures == 1


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (httpx.Response(500, text="oops"), "answered 500"),
        (httpx.Response(200, text="<html>"), "non-JSON"),
        (httpx.ConnectTimeout("slow"), "does not answer"),
    ],
)
def test_a_failing_registry_falls_back_to_the_verified_file(registry, settings, fault, reason):
    registry.fault = fault
    write_model(settings, "v-file")
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()
    assert (health["source"], health["model_version"]) == ("file", "v-file")
    assert reason in health["registry"]


def test_no_champion_alias_falls_back_to_the_file(registry, settings) -> None:
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()
    assert health["source"] == "file"
    assert "no `champion` alias" in health["registry"]


def test_a_registry_model_is_kept_while_the_registry_is_down(registry, settings, tmp_path):
    registry.add("3", saved_model(tmp_path / "v3", 1.0)[0])
    registry.champion = "3"
    with TestClient(create_app(settings)) as client:
        registry.fault = httpx.ConnectError("refused")
        answer = client.post("/admin/reload", headers=ADMIN).json()
        health = client.get("/health").json()
    assert answer["outcome"] == "unchanged"
    assert "does not answer" in answer["reason"]
    assert (health["source"], health["registry_version"]) == ("registry", "3")


def test_polls_without_a_challenger_ask_no_question_mlflow_answers_with_400(
    registry, settings, tmp_path
):
    registry.add("1", saved_model(tmp_path / "v1", 1.0)[0])
    registry.champion = "1"
    with TestClient(create_app(settings)) as client:
        for _ in range(3):
            assert client.post("/admin/reload", headers=ADMIN).status_code == 200
    assert registry.answers and set(registry.answers) == {200}  # the champion's, never a 400


def test_the_same_refusal_at_every_poll_is_logged_once(registry, settings, tmp_path, caplog):
    _good_1_and_broken_2(registry, tmp_path)
    with TestClient(create_app(settings)) as client:
        registry.champion = "2"
        with caplog.at_level("WARNING", logger="lab.serving.models"):
            for _ in range(3):
                client.post("/admin/reload", headers=ADMIN)
    refusals = [r for r in caplog.records if "model load failed" in r.getMessage()]
    assert len(refusals) == 1
