"""M2: load the model file training wrote, only after its SHA-256 matches the manifest.

Until training (M3) has written a model, the course's fixture model (`fixtures/model/`) is
served, so the API can be built and tested first.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import joblib
from litestar.datastructures import State

MANIFEST = "sample_model.json"
#: The model's inputs, in the order it was trained on (the CRM sends them by name).
FEATURE_NAMES = (
    "tenure_months",
    "monthly_spend",
    "support_tickets",
    "logins_per_month",
    "days_since_last_login",
    "contract_months",
    "payment_failures",
    "num_products",
    "avg_session_minutes",
    "satisfaction_score",
)


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
    # HINT: read the manifest with `json.loads`, hash the file with `hashlib.sha256(path.read_bytes()).hexdigest()`, and `joblib.load` only when the digests match; raise `ModelNotReady(why)` otherwise.
    # HINT zh-TW: 用 `json.loads` 讀清單，以 `hashlib.sha256(path.read_bytes()).hexdigest()` 雜湊檔案，摘要相符才 `joblib.load`；否則拋出 `ModelNotReady(why)`。
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


def models_dir(state: State) -> Path:
    """Where the served model is: training's folder once it holds a manifest, else the fixture."""
    trained = state.config.models_dir
    fixture = state.config.fixture_dir
    if (trained / MANIFEST).is_file() or fixture is None or not (fixture / MANIFEST).is_file():
        return trained
    return fixture


def _current(state: State) -> LoadedModel:
    folder = models_dir(state)
    manifest = folder / MANIFEST
    stamp = (folder, manifest.stat().st_mtime_ns) if manifest.is_file() else None
    if state.model is None or stamp != state.model_stamp:
        state.model = load_model(folder)
        state.model_stamp = stamp
    return state.model


async def current_model(state: State) -> LoadedModel:
    """The served model, (re)loaded when training has written a new manifest since. Reading
    files and unpickling block, so they run in a worker thread, never on the event loop."""
    return await anyio.to_thread.run_sync(_current, state)


def churn_probabilities(loaded: LoadedModel, rows: list[list[float]]) -> list[float]:
    """The model's churn probability for each row."""
    return [float(p) for p in loaded.model.predict_proba(rows)[:, 1]]
