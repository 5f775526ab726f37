"""Loading one model, from the MLflow registry or from the verified model file, and checking it.

Both loaders are blocking (MLflow, disk, skops) and run in a worker thread; they either
return a checked `LoadedModel` or raise `ModelLoadError` with a one-line reason.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from lab import data
from lab.ids import MODEL_VERSION_PATTERN
from lab.serving.drift_window import DriftWindow, checked_reference
from lab.serving.fastpath import Predictor, predictor_for
from lab.training.manifest import ModelIntegrityError, load_verified, read_manifest, skops_file
from lab.training.mlflow_registry import DRIFT_REFERENCE_ARTIFACT
from lab.training.model_io import UnverifiedModelError, download_and_load
from lab.training.signing import UnsignedStateError, check_version

log = logging.getLogger("lab.serving.models")
_LABEL = re.compile(MODEL_VERSION_PATTERN)
Source = Literal["registry", "file"]
#: How the model was checked: against the manifest or the registry's `model_tree_sha256` tag
#: ("verified"), or not at all: a registry version without the tag, loaded only with
#: ALLOW_UNVERIFIED_MODELS=true ("unverified").
Integrity = Literal["verified", "unverified"]
#: Rows every model must score sensibly before it may serve (deterministic, realistic values).
_PROBE = data.generate_features(16, seed=7)
_FAST_PATH_TOLERANCE = 1e-9


class ModelLoadError(RuntimeError):
    """A model could not be loaded or failed its checks; the message says why."""


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to serve: `predict_proba(X)` plus where it came from."""

    label: str  # the human version label, e.g. v1.2.0-stable
    registry_version: str | None  # MLflow model version number, None if unknown
    source: Source
    sha256: str
    loaded_at: str
    predictor: Predictor = field(repr=False)
    uri: str = ""
    integrity: Integrity = "verified"
    #: Per-feature training statistics (`lab.drift.reference`), None when the model has none.
    drift_reference: dict[str, Any] | None = field(default=None, repr=False)
    #: The recent inputs this model scored (for drift), None without a reference.
    window: DriftWindow | None = field(default=None, repr=False, compare=False)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Churn probability of each row of `X` (float64, shape (n, 10)); shape (n,).

        The rows are also kept in the model's drift window (a ring buffer: a copy, no I/O).
        """
        probability = self.predictor(X)
        window = self.window
        if window is not None:
            window.add(X)
        return probability

    @property
    def predictor_kind(self) -> str:
        return self.predictor.kind


@dataclass(frozen=True)
class RegistryVersion:
    """What the registry says the alias points at."""

    name: str
    version: str
    label: str
    download_uri: str
    run_id: str = ""
    sha256: str | None = None  # the version's `model_sha256` tag (model.skops), set by `lab train`
    tree_sha256: str | None = None  # its `model_tree_sha256` tag: every file of the folder
    signature: str | None = None  # its `lab_signature` tag (lab.training.signing)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def checked_predictor(model: Any) -> Predictor:
    """The predictor for `model`, after it scored the probe rows sensibly."""
    if not callable(getattr(model, "predict_proba", None)):
        raise ModelLoadError(f"the loaded object ({type(model).__name__}) has no predict_proba")
    width = getattr(model, "n_features_in_", data.N_FEATURES)
    if width != data.N_FEATURES:
        raise ModelLoadError(f"the model expects {width} features, the API sends {data.N_FEATURES}")
    classes = [c.item() if hasattr(c, "item") else c for c in getattr(model, "classes_", [0, 1])]
    if sorted(classes) != [0, 1]:
        raise ModelLoadError(f"the model's classes are {classes}, expected [0, 1] (1 = churn)")
    try:
        reference = np.asarray(model.predict_proba(_PROBE.copy()), dtype=np.float64)
    except Exception as exc:
        raise ModelLoadError(f"the model fails on sample rows: {exc}") from None
    if reference.shape != (len(_PROBE), 2) or not np.all(np.isfinite(reference)):
        raise ModelLoadError(f"the model answers shape {reference.shape}, expected (n, 2) finite")
    predictor = predictor_for(model)
    got = predictor(_PROBE.copy())
    if not np.allclose(got, reference[:, classes.index(1)], rtol=0, atol=_FAST_PATH_TOLERANCE):
        raise ModelLoadError("the fast path disagrees with predict_proba; refusing the model")
    return predictor


def checked_label(label: str, what: str) -> str:
    """The model's version label, refused (before anything is loaded) when it breaks the rule
    the CRM applies to `model_version`: every segment update would be refused otherwise."""
    if not isinstance(label, str) or not _LABEL.fullmatch(label):
        raise ModelLoadError(
            f"{what} has the version label {str(label)[:80]!r}, which breaks the CRM's rule for "
            "model_version (1-64 letters, digits, '.', '_', '-', '+', starting with a letter or "
            "digit): refused; set a valid label (the version_label tag, or --model-version)"
        )
    return label


def load_file(manifest_path: Path) -> LoadedModel:
    """The skops file named by its manifest, loaded (skops, the lab's trusted types) only after
    its SHA-256 matches the manifest's `skops_sha256`. The joblib file beside it is the course's:
    the lab never unpickles it."""
    try:
        manifest = read_manifest(manifest_path)
        checked_label(manifest.label, f"the model file's manifest {manifest_path.name}")
        path = skops_file(manifest, manifest_path)
        model = load_verified(path, manifest.skops_sha256)
    except ModelIntegrityError as exc:
        raise ModelLoadError(str(exc)) from None
    return LoadedModel(
        label=manifest.label,
        registry_version=manifest.registry_version,
        source="file",
        sha256=manifest.skops_sha256,
        loaded_at=now_iso(),
        predictor=checked_predictor(model),
        uri=str(path),
        drift_reference=checked_reference(manifest.drift_reference, str(manifest_path)),
    )


def check_signed(found: RegistryVersion, signing_key: str) -> None:
    """Refuse (`ModelLoadError`, before any download) a version the lab did not sign: one
    registered or aliased by any other MLflow client (lab.training.signing)."""
    try:
        check_version(
            signing_key, found.name, found.version, found.tree_sha256, found.label,
            found.signature,
        )  # fmt: skip
    except UnsignedStateError as exc:
        raise ModelLoadError(str(exc)) from None


def load_registry(
    found: RegistryVersion,
    tracking_uri: str,
    *,
    allow_unverified: bool = False,
    signing_key: str = "",
) -> LoadedModel:
    """Check the version's signature (LAB_SIGNING_KEY), download its folder, verify the digest
    over all its files against its `model_tree_sha256` tag, then load model.skops with skops
    (lab.training.model_io). Nothing is downloaded before the signature matches, nothing
    deserialized before the digest matches; an unsigned version or one without the tag is
    refused unless `allow_unverified` (ALLOW_UNVERIFIED_MODELS)."""
    what = f"{found.name} version {found.version}"
    checked_label(found.label, what)
    if not allow_unverified:
        check_signed(found, signing_key)
    try:
        loaded = download_and_load(
            found.download_uri, tracking_uri, found.tree_sha256,
            what=what, allow_unverified=allow_unverified,
        )  # fmt: skip
    except UnverifiedModelError as exc:
        raise ModelLoadError(str(exc)) from None
    except Exception as exc:  # MLflow, skops and the file system raise many kinds
        raise ModelLoadError(f"{what} does not load: {_first_line(exc)}") from None
    if loaded.integrity == "unverified":
        log.warning(
            "loading a registry version with no digest to verify (ALLOW_UNVERIFIED_MODELS=true)",
            extra={"model_version": found.label, "registry_version": found.version},
        )
    return LoadedModel(
        label=found.label,
        registry_version=found.version,
        source="registry",
        sha256=loaded.file_sha256,
        loaded_at=now_iso(),
        predictor=checked_predictor(loaded.model),
        uri=f"models:/{found.name}/{found.version}",
        integrity=loaded.integrity,
        drift_reference=_run_reference(found, tracking_uri),
    )


def _run_reference(found: RegistryVersion, tracking_uri: str) -> dict[str, Any] | None:
    """The drift reference `lab train` logged with the version's run, or None (logged why)."""
    import mlflow.artifacts

    where = f"run {found.run_id} ({found.name} version {found.version})"
    if not found.run_id:
        log.warning("no run behind the model version: no drift reference", extra={"of": where})
        return None
    try:
        with tempfile.TemporaryDirectory(prefix="lab-drift-") as tmp:
            path = mlflow.artifacts.download_artifacts(
                run_id=found.run_id,
                artifact_path=DRIFT_REFERENCE_ARTIFACT,
                dst_path=tmp,
                tracking_uri=tracking_uri,
            )
            text = Path(path).read_text(encoding="utf-8")
    except Exception as exc:  # MLflow and the file system raise many kinds
        log.warning(
            "no drift reference for the model: drift is not measured",
            extra={"of": where, "reason": _first_line(exc)},
        )
        return None
    try:
        return checked_reference(json.loads(text), where)
    except ValueError:
        log.warning("the drift reference is not JSON: drift is not measured", extra={"of": where})
        return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
