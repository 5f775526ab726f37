"""Try it: the form's values as a row, a customer id checked before it reaches a URL, and the
request's lines found in the API log."""

from __future__ import annotations

import pytest

from lab.home import tryit
from lab.orchestration.output import log_path


def test_a_row_is_numbers_in_the_schemas_order() -> None:
    assert tryit.row({"b": " 2 ", "a": "1.5"}, ["a", "b"]) == {"a": 1.5, "b": 2.0}
    with pytest.raises(tryit.BadInput, match="fill in b"):
        tryit.row({"a": "1"}, ["a", "b"])
    with pytest.raises(tryit.BadInput, match="'x' is not a number"):
        tryit.row({"a": "x"}, ["a"])
    with pytest.raises(tryit.BadInput, match="out of range"):
        tryit.row({"a": "1e12"}, ["a"])
    with pytest.raises(tryit.BadInput, match="out of range"):
        tryit.row({"a": "nan"}, ["a"])


def test_a_customer_id_that_is_not_one_never_leaves(settings) -> None:
    with pytest.raises(tryit.BadInput, match="not a customer id"):
        tryit.segment_update(settings, "../admin?x=1")


def test_the_request_lines_are_found_in_the_api_log(settings) -> None:
    log = log_path(settings.run_dir, "api")
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("a request_id=home-1 predicted\nb request_id=other\nc request_id=home-1 done\n")
    assert tryit.log_lines(settings, "home-1", wait=0) == [
        "a request_id=home-1 predicted", "c request_id=home-1 done"]  # fmt: skip
    assert tryit.log_lines(settings, "home-2", wait=0) == []


def test_an_api_that_does_not_answer_gives_no_fields_and_a_clear_answer(settings_factory) -> None:
    settings = settings_factory(API_PORT=1)
    assert tryit.feature_fields(settings) == {}
    answer = tryit.predict(settings, {"a": 1.0})
    assert answer.status == 0 and "does not answer" in answer.body["detail"]
