"""Request ids: echoed, generated when missing or unsafe, carried by every log line."""

from __future__ import annotations

import logging

from lab.serving.logs import LogfmtFormatter, RequestIdFilter
from lab.web.request_id import request_id_for


def test_a_safe_request_id_is_echoed_and_an_unsafe_one_replaced(client) -> None:
    given = client.get("/health", headers={"X-Request-ID": "trace-7.a:b"})
    hostile = client.post("/predict", json={}, headers={"X-Request-ID": 'x" y=1'})
    assert given.headers["x-request-id"] == "trace-7.a:b"
    replaced = hostile.headers["x-request-id"]
    assert replaced != 'x" y=1' and replaced.isalnum()
    assert hostile.json()["request_id"] == replaced


def test_request_ids_are_fresh_and_bounded() -> None:
    assert request_id_for("") != request_id_for("")
    assert request_id_for("a" * 65) != "a" * 65
    assert request_id_for("a" * 64) == "a" * 64


def test_logfmt_lines_carry_the_request_id_and_fields() -> None:
    record = logging.makeLogRecord(
        {"name": "lab.serving.models", "levelname": "INFO", "msg": "model loaded",
         "model_version": "v1.2.0-stable", "reason": 'has "quotes" and spaces'}
    )  # fmt: skip
    RequestIdFilter().filter(record)
    line = LogfmtFormatter().format(record)
    assert "level=info logger=lab.serving.models request_id=- " in line
    assert 'msg="model loaded" model_version=v1.2.0-stable' in line
    assert 'reason="has \\"quotes\\" and spaces"' in line


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.addFilter(RequestIdFilter())  # as `lab serve` configures its handler
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_refused_request_is_logged_with_its_id(client) -> None:
    logger = logging.getLogger("lab.web.problems")
    keep, level = _Keep(), logger.level
    logger.addHandler(keep)
    logger.setLevel(logging.INFO)
    try:
        client.post("/predict", json={"features": [1]}, headers={"X-Request-ID": "rid-1"})
    finally:
        logger.removeHandler(keep)
        logger.setLevel(level)
    [record] = keep.records
    assert (record.request_id, record.status) == ("rid-1", 422)
    assert "exactly 10 numbers" in record.detail


def test_control_characters_are_escaped_in_log_lines() -> None:
    """A path or id with ESC/CR/LF cannot recolour the terminal or forge a log line."""
    record = logging.makeLogRecord(
        {"name": "lab.web.problems", "levelname": "INFO", "msg": "request refused\r\x1b[2K",
         "path": "/predict\x1b[31m\nlevel=error msg=forged", "detail": "bell\x07 ls\u2028"}
    )  # fmt: skip
    RequestIdFilter().filter(record)
    line = LogfmtFormatter().format(record)
    assert "\x1b" not in line and "\r" not in line and "\n" not in line and "\x07" not in line
    assert 'msg="request refused\\r\\x1b[2K"' in line
    assert 'path="/predict\\x1b[31m\\nlevel=error msg=forged"' in line
    assert "\\u2028" in line
