"""M2: load the model file training wrote, only after its SHA-256 matches the manifest."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
from litestar.datastructures import State

MANIFEST = "sample_model.json"


class ModelNotReady(Exception):
    """No model can be served yet; the message says why and what to do."""


@dataclass(frozen=True)
class LoadedModel:
    model: Any
    version: str  # the human label training gave it, e.g. v1.2.0-stable
    path: Path


def load_model(models_dir: Path) -> LoadedModel:
    """The model of `models_dir/sample_model.json`, checked against the SHA-256 it records."""
    # BEGIN SOLUTION M2.health: load the model file named by sample_model.json after checking its SHA-256
    manifest_path = models_dir / MANIFEST
    if not manifest_path.is_file():
        raise ModelNotReady(f"no {manifest_path}: train a model first (M3)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    path = models_dir / manifest.get("file", "sample_model.joblib")
    if not path.is_file():
        raise ModelNotReady(f"the manifest names {path}, which does not exist")
    if hashlib.sha256(path.read_bytes()).hexdigest() != manifest.get("sha256"):
        raise ModelNotReady(f"{path.name} does not match the SHA-256 of its manifest: retrain")
    return LoadedModel(joblib.load(path), str(manifest.get("label", "unknown")), path)
    # END SOLUTION


def current_model(state: State) -> LoadedModel:
    """The served model, (re)loaded when training has written a new manifest since."""
    manifest = state.config.models_dir / MANIFEST
    stamp = manifest.stat().st_mtime_ns if manifest.is_file() else None
    if state.model is None or stamp != state.model_stamp:
        state.model = load_model(state.config.models_dir)
        state.model_stamp = stamp
    return state.model


def churn_probabilities(loaded: LoadedModel, rows: list[list[float]]) -> list[float]:
    """The model's churn probability for each row."""
    return [float(p) for p in loaded.model.predict_proba(rows)[:, 1]]
