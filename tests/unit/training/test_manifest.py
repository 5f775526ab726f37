from __future__ import annotations

import hashlib
import os
import pickle

import pytest

from lab import data
from lab.training import pipeline
from lab.training.manifest import (
    Manifest,
    ModelIntegrityError,
    dump_model,
    dump_skops,
    load_from_manifest,
    load_verified,
    read_manifest,
    write_manifest,
)


@pytest.fixture
def model():
    ds = data.generate(200, seed=5)
    return pipeline.build(1.0, 5).fit(ds.X, ds.y)


def _manifest(sha: str) -> Manifest:
    return Manifest(
        label="v1",
        model_name="m",
        registry_version="1",
        run_id="r",
        feature_names=list(data.FEATURE_NAMES),
        metrics={},
        eval_metrics={},
        sha256=sha,
        created_at="2026-01-01T00:00:00+00:00",
    )


def _write(model, folder) -> Manifest:
    """Both files and the manifest, as `lab train` writes them."""
    manifest = _manifest(dump_model(model, folder / "sample_model.joblib"))
    manifest.skops_sha256 = dump_skops(model, folder / "sample_model.skops")
    write_manifest(manifest, folder / "sample_model.json")
    return manifest


def test_the_manifest_records_both_digests_and_the_lab_loads_the_skops_file(
    tmp_path, model, monkeypatch
):
    manifest = _write(model, tmp_path)
    assert (
        manifest.sha256
        == hashlib.sha256((tmp_path / "sample_model.joblib").read_bytes()).hexdigest()
    )
    skops_bytes = (tmp_path / "sample_model.skops").read_bytes()
    assert manifest.skops_sha256 == hashlib.sha256(skops_bytes).hexdigest()
    import joblib

    monkeypatch.setattr(joblib, "load", lambda *_: pytest.fail("the lab unpickled the joblib file"))
    loaded, read = load_from_manifest(tmp_path / "sample_model.json")
    assert (read.sha256, read.skops_sha256) == (manifest.sha256, manifest.skops_sha256)
    X = data.generate_features(5, seed=1)
    assert (loaded.predict_proba(X) == model.predict_proba(X)).all()


def test_a_tampered_file_is_refused_before_it_is_loaded(tmp_path, model, monkeypatch):
    manifest = _write(model, tmp_path)
    path = tmp_path / "sample_model.skops"
    path.write_bytes(path.read_bytes() + b"x")
    import skops.io

    monkeypatch.setattr(skops.io, "loads", lambda *_, **__: pytest.fail("loaded a tampered file"))
    with pytest.raises(ModelIntegrityError, match="does not match"):
        load_verified(path, manifest.skops_sha256)


def test_a_skops_file_with_an_untrusted_type_is_refused_even_when_its_digest_matches(tmp_path):
    """A manifest rewritten with the digest of a hostile file (same writer: integrity is not
    origin): skops builds only the lab's trusted types, so the payload never runs."""
    import skops.io

    hostile = tmp_path / "sample_model.skops"
    hostile.write_bytes(skops.io.dumps(os.system))  # a function: never in the trusted set
    digest = hashlib.sha256(hostile.read_bytes()).hexdigest()
    with pytest.raises(ModelIntegrityError, match="Untrusted types"):
        load_verified(hostile, digest)


def test_a_pickle_renamed_to_skops_is_refused(tmp_path, model):
    path = tmp_path / "sample_model.skops"
    path.write_bytes(pickle.dumps(model))
    with pytest.raises(ModelIntegrityError, match="does not load"):
        load_verified(path, hashlib.sha256(path.read_bytes()).hexdigest())


def test_a_manifest_from_before_the_skops_file_says_to_train_again(tmp_path, model):
    manifest = _write(model, tmp_path)
    manifest.skops_sha256 = ""
    write_manifest(manifest, tmp_path / "sample_model.json")
    with pytest.raises(ModelIntegrityError, match="run `lab train` again"):
        load_from_manifest(tmp_path / "sample_model.json")


def test_missing_files_say_what_to_run(tmp_path):
    with pytest.raises(ModelIntegrityError, match="lab train"):
        load_verified(tmp_path / "nope.skops", "0" * 64)
    with pytest.raises(ModelIntegrityError, match="lab train"):
        read_manifest(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match="unreadable"):
        read_manifest(tmp_path / "bad.json")


def test_the_bytes_hashed_are_the_bytes_loaded(tmp_path, model, monkeypatch):
    """No second open by path after the check: swapping the file in between changes nothing."""
    manifest = _write(model, tmp_path)
    path = tmp_path / "sample_model.skops"
    import skops.io

    real_loads = skops.io.loads

    def load_after_a_swap(data, **kwargs):
        path.write_bytes(b"swapped after the check")  # a race that a re-open would lose
        return real_loads(data, **kwargs)

    monkeypatch.setattr(skops.io, "loads", load_after_a_swap)
    loaded = load_verified(path, manifest.skops_sha256)
    X = data.generate_features(3, seed=2)
    assert (loaded.predict_proba(X) == model.predict_proba(X)).all()


@pytest.mark.parametrize("name", ["../outside.skops", "/etc/passwd", "sub/model.skops", "..", ""])
def test_a_manifest_naming_a_file_outside_the_models_folder_is_refused(tmp_path, model, name):
    models = tmp_path / "models"
    models.mkdir()
    manifest = _manifest(dump_model(model, tmp_path / "outside.joblib"))
    manifest.skops_sha256 = dump_skops(model, tmp_path / "outside.skops")
    manifest.skops_file = name
    write_manifest(manifest, models / "sample_model.json")
    with pytest.raises(ModelIntegrityError, match="plain file name inside the models folder"):
        load_from_manifest(models / "sample_model.json")
