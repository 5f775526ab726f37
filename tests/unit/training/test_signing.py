"""The lab's signatures over registry state (lab.training.signing)."""

from __future__ import annotations

import pytest

from lab.training.signing import (
    UnsignedStateError,
    check_share,
    check_version,
    sign_share,
    sign_version,
)

KEY = "k" * 32
TREE = "a" * 64


def test_a_signed_version_checks_and_any_changed_field_does_not() -> None:
    signature = sign_version(KEY, "churn", "3", TREE, "v1")
    check_version(KEY, "churn", "3", TREE, "v1", signature)
    changed = [
        ("other", "3", TREE, "v1"), ("churn", "4", TREE, "v1"),
        ("churn", "3", "b" * 64, "v1"), ("churn", "3", TREE, "v2"),
    ]  # fmt: skip
    for name, version, tree, label in changed:
        with pytest.raises(UnsignedStateError, match="does not match"):
            check_version(KEY, name, version, tree, label, signature)
    with pytest.raises(UnsignedStateError, match="does not match"):
        check_version("x" * 32, "churn", "3", TREE, "v1", signature)  # another key


def test_no_signature_or_no_key_is_refused_with_the_fix() -> None:
    with pytest.raises(UnsignedStateError, match="not signed by the lab"):
        check_version(KEY, "churn", "3", TREE, "v1", None)
    with pytest.raises(UnsignedStateError, match="LAB_SIGNING_KEY is not set"):
        check_version("", "churn", "3", TREE, "v1", sign_version("", "churn", "3", TREE, "v1"))


def test_a_signed_share_reads_back_and_a_forged_one_does_not() -> None:
    value = sign_share(KEY, "churn", "0.1")
    assert value.startswith("0.1 hmac-sha256=")
    assert check_share(KEY, "churn", value) == "0.1"
    for forged in ("1", "0.9 " + value.split(" ", 1)[1], sign_share(KEY, "other", "0.1")):
        with pytest.raises(UnsignedStateError):
            check_share(KEY, "churn", forged)
    with pytest.raises(UnsignedStateError):
        check_share("", "churn", sign_share("", "churn", "0.1"))
