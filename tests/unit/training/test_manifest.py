from __future__ import annotations

import hashlib

import pytest

from lab import data
from lab.training import pipeline
from lab.training.manifest import (
    Manifest,
    ModelIntegrityError,
    dump_model,
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


def test_manifest_hash_equals_the_file_hash(tmp_path, model):
    path = tmp_path / "sample_model.joblib"
    digest = dump_model(model, path)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    write_manifest(_manifest(digest), tmp_path / "sample_model.json")
    loaded, manifest = load_from_manifest(tmp_path / "sample_model.json")
    assert manifest.sha256 == digest
    X = data.generate_features(5, seed=1)
    assert (loaded.predict_proba(X) == model.predict_proba(X)).all()


def test_a_tampered_file_is_never_unpickled(tmp_path, model, monkeypatch):
    path = tmp_path / "sample_model.joblib"
    digest = dump_model(model, path)
    path.write_bytes(path.read_bytes() + b"x")
    import joblib

    monkeypatch.setattr(joblib, "load", lambda *_: pytest.fail("unpickled a tampered file"))
    with pytest.raises(ModelIntegrityError, match="does not match"):
        load_verified(path, digest)


def test_missing_files_say_what_to_run(tmp_path):
    with pytest.raises(ModelIntegrityError, match="lab train"):
        load_verified(tmp_path / "nope.joblib", "0" * 64)
    with pytest.raises(ModelIntegrityError, match="lab train"):
        read_manifest(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match="unreadable"):
        read_manifest(tmp_path / "bad.json")


def test_the_bytes_hashed_are_the_bytes_loaded(tmp_path, model, monkeypatch):
    """No second open by path after the check: swapping the file in between changes nothing."""
    path = tmp_path / "sample_model.joblib"
    digest = dump_model(model, path)
    import joblib

    real_load = joblib.load

    def load_after_a_swap(source):
        path.write_bytes(b"swapped after the check")  # a race that a re-open would lose
        return real_load(source)

    monkeypatch.setattr(joblib, "load", load_after_a_swap)
    loaded = load_verified(path, digest)
    X = data.generate_features(3, seed=2)
    assert (loaded.predict_proba(X) == model.predict_proba(X)).all()


@pytest.mark.parametrize("name", ["../outside.joblib", "/etc/passwd", "sub/model.joblib", "..", ""])
def test_a_manifest_naming_a_file_outside_the_models_folder_is_refused(tmp_path, model, name):
    models = tmp_path / "models"
    models.mkdir()
    digest = dump_model(model, tmp_path / "outside.joblib")
    manifest = _manifest(digest)
    manifest.file = name
    write_manifest(manifest, models / "sample_model.json")
    with pytest.raises(ModelIntegrityError, match="plain file name inside the models folder"):
        load_from_manifest(models / "sample_model.json")
