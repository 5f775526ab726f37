"""Bearer tokens: only `Bearer <token>` counts, and any header value compares without an error."""

from __future__ import annotations

import pytest

from lab.web.auth import bearer_token, token_matches


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Bearer ", None), ("Basic abc", None),
     ("", None), ("abc", None)],
)  # fmt: skip
def test_only_a_bearer_header_gives_a_token(header: str, token: str | None) -> None:
    assert bearer_token(header) == token


def test_tokens_compare_in_full_and_accept_any_characters() -> None:
    assert token_matches("s3cret", "s3cret")
    assert not token_matches("s3cre", "s3cret")
    assert not token_matches("s3crét", "s3cret")  # non-ASCII: no TypeError, just no match
