"""Model files: the joblib file, its manifest, and verified loading (SHA-256 before unpickling)."""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import joblib

from lab.files import sha256_file, write_atomic


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
    file: str = "sample_model.joblib"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def dump_model(model: Any, path: Path) -> str:
    """Write the model atomically; return its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    joblib.dump(model, tmp)
    digest = sha256_file(tmp)
    tmp.replace(path)
    return digest


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
    """Unpickle `model_path` only after its SHA-256 equals `expected_sha256`.

    The file is read once: the bytes that were hashed are the bytes unpickled (no second open
    by path in between, so the file cannot be swapped after the check).
    """
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
        return joblib.load(io.BytesIO(payload))
    except Exception as exc:  # a file that hashes right but does not load
        raise ModelIntegrityError(f"{model_path.name} does not load: {exc}") from None


def model_file(manifest: Manifest, manifest_path: Path) -> Path:
    """The model file a manifest names: a plain file name inside the manifest's folder."""
    name = manifest.file
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


def load_from_manifest(manifest_path: Path) -> tuple[Any, Manifest]:
    manifest = read_manifest(manifest_path)
    model = load_verified(model_file(manifest, manifest_path), manifest.sha256)
    return model, manifest
