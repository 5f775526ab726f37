"""Signing the registry state the API acts on, with a key only the lab holds (LAB_SIGNING_KEY).

Anyone who can reach the MLflow server can register a version, copy a digest tag, move an alias
or set a tag. So the lab signs what it writes, with an HMAC-SHA256 keyed by `LAB_SIGNING_KEY`
(generated into `.env` by `lab init`; `lab train`, `lab rollout` and the API hold it):

- a model version: its tag `lab_signature` signs the model name, the version number, the
  digest over its files (`model_tree_sha256`) and its label. The API loads no version whose
  signature is missing or wrong: moving `@champion` to a version the lab did not sign changes
  nothing the API serves, and `/health` says why.
- the challenger's share: the registered model's tag `rollout.challenger_share` holds the share
  and its signature in one value (`0.1 hmac-sha256=<hex>`: one tag, written atomically). The
  API applies no share whose signature is missing or wrong.

What this does not stop: replaying state the lab signed earlier (moving `@champion` back to an
older version `lab train` registered, or setting an earlier signed share). Both pick among
choices the lab made; docs/security.md says so.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = [
    "SIGNATURE_TAG",
    "UnsignedStateError",
    "check_share",
    "check_version",
    "sign_share",
    "sign_version",
]

#: Model-version tag holding the version's signature.
SIGNATURE_TAG = "lab_signature"
_SHARE_MARK = "hmac-sha256="
_HOW = "train it with `lab train` (which signs it) and keep LAB_SIGNING_KEY the same in .env"


class UnsignedStateError(ValueError):
    """Registry state the lab did not sign (or signed with another key); the message says why."""


def _mac(key: str, *fields: str) -> str:
    message = "\x1f".join(fields).encode("utf-8")
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign_version(key: str, name: str, version: str, tree_sha256: str, label: str) -> str:
    """The signature `lab train` records on a version (SIGNATURE_TAG)."""
    return _mac(key, "mlops-lab/model-version/v1", name, version, tree_sha256, label)


def check_version(
    key: str,
    name: str,
    version: str,
    tree_sha256: str | None,
    label: str,
    signature: str | None,
) -> None:
    """Raise `UnsignedStateError` unless `signature` is the lab's for this version."""
    what = f"{name} version {version}"
    if not key:
        raise UnsignedStateError(
            f"{what} is refused: LAB_SIGNING_KEY is not set, so the API cannot tell a version "
            "`lab train` signed from one any MLflow client registered (run `lab init --force`, "
            "or add LAB_SIGNING_KEY to .env, then train again)"
        )
    if not signature:
        raise UnsignedStateError(
            f"{what} is not signed by the lab (no {SIGNATURE_TAG} tag): it was registered or "
            f"aliased by another MLflow client, so the API does not serve it; {_HOW}"
        )
    expected = sign_version(key, name, version, tree_sha256 or "", label)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise UnsignedStateError(
            f"{what}: its {SIGNATURE_TAG} does not match its files, label and number (a tag was "
            f"changed, or it was signed with another LAB_SIGNING_KEY), so the API does not "
            f"serve it; {_HOW}"
        )


def sign_share(key: str, name: str, share_text: str) -> str:
    """The SPLIT_TAG value for `share_text` (a formatted share): the share and its signature."""
    return f"{share_text} {_SHARE_MARK}{_mac(key, 'mlops-lab/split/v1', name, share_text)}"


def check_share(key: str, name: str, value: str) -> str:
    """The share text of a SPLIT_TAG `value` the lab signed; `UnsignedStateError` otherwise."""
    share_text, _, mark = value.strip().partition(" ")
    if not mark.startswith(_SHARE_MARK):
        raise UnsignedStateError(
            f"the recorded split {share_text[:20]!r} is not signed by the lab (set by another "
            "MLflow client): ignored; set the split with `lab rollout` or POST /admin/split"
        )
    expected = sign_share(key, name, share_text) if key else ""
    if not key or not hmac.compare_digest(expected, f"{share_text} {mark.strip()}"):
        raise UnsignedStateError(
            f"the recorded split {share_text[:20]!r} has a signature that does not match "
            "(changed by another MLflow client, or signed with another LAB_SIGNING_KEY): "
            "ignored; set the split with `lab rollout` or POST /admin/split"
        )
    return share_text
