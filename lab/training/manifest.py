"""Model files: the model in two formats, its manifest, and verified loading (skops only).

`lab train` writes the fitted model twice beside one manifest:
- `sample_model.joblib`: the course's file (its acceptance line names it; learners load it in
  their own code). The lab itself never loads it: joblib unpickles.
- `sample_model.skops`: the file the lab loads (the API's fallback when the registry is down),
  with skops and the same trusted types as the registry path (`lab.training.model_io`).
The manifest records both SHA-256 digests (`sha256` for the joblib file, `skops_sha256` for the
skops file); a file is deserialized only from the bytes whose digest matched.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import joblib

from lab.files import sha256_file, write_atomic
from lab.training.model_io import load_skops

#: The file the lab loads (skops), beside the course's `sample_model.joblib`.
SKOPS_FILE = "sample_model.skops"


class ModelIntegrityError(RuntimeError):
    """The model file is missing, unreadable, or does not match its manifest."""


@dataclass
class Manifest:
    label: str
    model_name: str
    registry_version: str | None
    run_id: str | None
    feature_names: list[str]
    metrics: dict[str, float]
    eval_metrics: dict[str, float]
    sha256: str
    created_at: str
    params: dict[str, Any] = field(default_factory=dict)
    tracking_uri: str | None = None
    champion: bool = False
    drift_reference: dict[str, Any] = field(default_factory=dict)
    file: str = "sample_model.joblib"  # the course's file (joblib): never loaded by the lab
    skops_file: str = SKOPS_FILE  # the file the lab loads
    skops_sha256: str = ""  # its SHA-256 ("" in a manifest older than the skops file)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def dump_model(model: Any, path: Path) -> str:
    """Write the model atomically with joblib (the course's file); return its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    joblib.dump(model, tmp)
    digest = sha256_file(tmp)
    tmp.replace(path)
    return digest


def dump_skops(model: Any, path: Path) -> str:
    """Write the model atomically with skops (the file the lab loads); return its SHA-256."""
    import skops.io

    payload = skops.io.dumps(model)
    write_atomic(path, payload)
    return hashlib.sha256(payload).hexdigest()


def copy_atomic(src: Path, dst: Path) -> None:
    """Copy `src` over `dst` so a reader never sees a half-written file."""
    write_atomic(dst, src.read_bytes())


def write_manifest(manifest: Manifest, path: Path) -> None:
    write_atomic(path, manifest.to_json())


def read_manifest(path: Path) -> Manifest:
    try:
        return Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ModelIntegrityError(f"no manifest at {path}: run `lab train`") from None
    except (OSError, ValueError, TypeError) as exc:
        raise ModelIntegrityError(f"manifest {path} is unreadable: {exc}") from None


def load_verified(model_path: Path, expected_sha256: str) -> Any:
    """Load the skops file `model_path` only after its SHA-256 equals `expected_sha256`, with
    skops and the lab's trusted types (never pickle).

    The file is read once: the bytes that were hashed are the bytes loaded (no second open by
    path in between, so the file cannot be swapped after the check).
    """
    if not expected_sha256:
        raise ModelIntegrityError(
            f"the manifest records no SHA-256 for {model_path.name} (it predates the skops "
            "file the lab loads): run `lab train` again"
        )
    try:
        payload = model_path.read_bytes()
    except FileNotFoundError:
        raise ModelIntegrityError(f"no model file at {model_path}: run `lab train`") from None
    except OSError as exc:
        raise ModelIntegrityError(f"{model_path.name} is unreadable: {exc}") from None
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected_sha256:
        raise ModelIntegrityError(
            f"{model_path.name} SHA-256 {actual[:12]}… does not match the expected "
            f"{expected_sha256[:12]}…; the file is corrupt or was replaced: run `lab train` again"
        )
    try:
        return load_skops(payload)
    except Exception as exc:  # a file that hashes right but does not load (untrusted types, ...)
        raise ModelIntegrityError(f"{model_path.name} does not load: {exc}") from None


def named_file(name: object, manifest_path: Path) -> Path:
    """A file a manifest names: a plain file name inside the manifest's folder."""
    if (
        not isinstance(name, str)
        or not name
        or name in (".", "..")
        or PurePosixPath(name).name != name
        or PureWindowsPath(name).name != name
    ):
        raise ModelIntegrityError(
            f"manifest {manifest_path} names the model file {name!r}: it must be a plain file "
            "name inside the models folder (the manifest was edited): run `lab train` again"
        )
    return manifest_path.parent / name


def model_file(manifest: Manifest, manifest_path: Path) -> Path:
    """The course's joblib file a manifest names (checked, never loaded by the lab)."""
    return named_file(manifest.file, manifest_path)


def skops_file(manifest: Manifest, manifest_path: Path) -> Path:
    """The skops file a manifest names: the one the lab loads."""
    return named_file(manifest.skops_file, manifest_path)


def load_from_manifest(manifest_path: Path) -> tuple[Any, Manifest]:
    """The model of the skops file the manifest names, verified against `skops_sha256`."""
    manifest = read_manifest(manifest_path)
    model = load_verified(skops_file(manifest, manifest_path), manifest.skops_sha256)
    return model, manifest
