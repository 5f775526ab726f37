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


def test_the_guard_says_which_token_to_send_and_challenges() -> None:
    from lab.web.auth import require_bearer
    from lab.web.problems import ProblemError

    require_bearer("Bearer s3cret", "s3cret", key="ADMIN_TOKEN", realm="r")  # passes
    with pytest.raises(ProblemError) as missing:
        require_bearer("", "s3cret", key="ADMIN_TOKEN", realm="r", why=": off loopback")
    assert missing.value.status_code == 401
    assert missing.value.detail == (
        "send `Authorization: Bearer <ADMIN_TOKEN>` (the token is in .env): off loopback"
    )
    assert missing.value.headers == {"WWW-Authenticate": 'Bearer realm="r"'}
    with pytest.raises(ProblemError, match="the bearer token is not ADMIN_TOKEN") as wrong:
        require_bearer("Bearer nope", "s3cret", key="ADMIN_TOKEN", realm="r")
    assert wrong.value.status_code == 401
    with pytest.raises(ProblemError, match="routes are off") as off:
        require_bearer("Bearer s3cret", "", key="ADMIN_TOKEN", realm="r", off="routes are off")
    assert off.value.status_code == 403
