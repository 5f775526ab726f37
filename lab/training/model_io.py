"""Loading a registered model version safely: digest first, then skops with the lab's types.

The one way the lab deserializes a registry version (the API's loader, and `lab train` scoring
the current champion): download the version's folder, read every file once, check the digest
over all of them (`lab.artifacts`, `MLmodel` included) against the version's
`model_tree_sha256` tag, and only then load `model.skops` from the bytes that were hashed, with
skops and the trusted types set here. `MLmodel` is never consulted about what or how to load,
and MLflow's own loaders (pickle, cloudpickle, skops with types read from `MLmodel`) are not
used at all.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lab.artifacts import ArtifactDigestError, read_tree, tree_sha256_of

#: Model-version tag: the digest over every file of the logged model, set by `lab train`.
TREE_TAG = "model_tree_sha256"
#: The serialized model inside a logged model folder (`log_model(serialization_format="skops")`).
MODEL_FILE = "model.skops"
#: Types skops may build beyond its own safe set. The lab's pipeline (StandardScaler +
#: LogisticRegression) needs none; a model that does is refused until they are listed here.
TRUSTED_TYPES: list[str] = []
Integrity = Literal["verified", "unverified"]


class UnverifiedModelError(RuntimeError):
    """The version cannot be shown to be what `lab train` logged; nothing was deserialized."""


@dataclass(frozen=True)
class VerifiedModel:
    model: Any
    file_sha256: str  # SHA-256 of model.skops
    tree_sha256: str  # the digest over every file of the folder
    integrity: Integrity


def load_folder(
    folder: Path, expected: str | None, *, what: str, allow_unverified: bool = False
) -> VerifiedModel:
    """Verify `folder` against `expected` (the version's tree digest), then load its model.

    Raises `UnverifiedModelError` before anything is deserialized when the digest is missing
    (unless `allow_unverified`) or differs.
    """
    try:
        files = read_tree(folder)
    except (ArtifactDigestError, OSError) as exc:
        raise UnverifiedModelError(f"{what}: {exc}") from None
    digest = tree_sha256_of(files)
    integrity = check_digest(what, digest, expected, allow_unverified)
    data = files.get(MODEL_FILE)
    if data is None:
        raise UnverifiedModelError(
            f"{what}: no serialized model in its folder (expected {MODEL_FILE}): the lab "
            "loads skops only"
        )
    return VerifiedModel(
        model=load_skops(data),
        file_sha256=hashlib.sha256(data).hexdigest(),
        tree_sha256=digest,
        integrity=integrity,
    )


def check_digest(what: str, digest: str, expected: str | None, allow_unverified: bool) -> Integrity:
    if expected is None:
        if allow_unverified:
            return "unverified"
        raise UnverifiedModelError(
            f"{what} has no {TREE_TAG} tag, so its files cannot be verified: refused "
            "(train it again with `lab train`, or set ALLOW_UNVERIFIED_MODELS=true to load it "
            "anyway)"
        )
    if digest != expected.strip().lower():
        raise UnverifiedModelError(
            f"{what}: the digest of its files {digest[:12]}… does not match the version's "
            f"{TREE_TAG} tag {expected[:12]}…; a file of the logged model (the model or "
            "MLmodel) was changed after training: refused (train the version again)"
        )
    return "verified"


def load_skops(data: bytes) -> Any:
    """The model in skops bytes, building only skops' safe types and TRUSTED_TYPES."""
    import skops.io

    return skops.io.loads(data, trusted=TRUSTED_TYPES)


def download_and_load(
    artifact_uri: str,
    tracking_uri: str,
    expected: str | None,
    *,
    what: str,
    allow_unverified: bool = False,
) -> VerifiedModel:
    """Download a version's folder into a private temporary folder and `load_folder` it."""
    import mlflow.artifacts

    with tempfile.TemporaryDirectory(prefix="lab-model-") as tmp:
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=artifact_uri, dst_path=tmp, tracking_uri=tracking_uri
            )
        )
        return load_folder(local, expected, what=what, allow_unverified=allow_unverified)


def logged_digests(model_uri: str) -> dict[str, str]:
    """The version tags `lab train` records: the digest over the logged model's files as the
    artifact store holds them (TREE_TAG), and the SHA-256 of its model.skops (SHA256_TAG).

    `model_uri` is the logged model's artifact location (what the registry version's download
    URI serves), not a `models:/` URI, whose download adds a generated file."""
    import mlflow.artifacts

    from lab.training.mlflow_registry import SHA256_TAG

    with tempfile.TemporaryDirectory(prefix="lab-logged-model-") as tmp:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=tmp))
        files = read_tree(local)
    if MODEL_FILE not in files:
        raise RuntimeError(f"{model_uri} holds no {MODEL_FILE}")
    return {
        TREE_TAG: tree_sha256_of(files),
        SHA256_TAG: hashlib.sha256(files[MODEL_FILE]).hexdigest(),
    }
