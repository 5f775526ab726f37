"""The CRM's log lines (`lab crm`'s logging setup) escape control characters too."""

from __future__ import annotations

import logging
import logging.config

from lab.cli.crm_cmd import log_config


def test_crm_and_access_lines_escape_control_characters(capsys) -> None:
    logging.config.dictConfig(log_config("INFO"))
    try:
        logging.getLogger("lab.crm").warning("refused %s", "CUST\x1b[2J\r\nforged line")
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/customers/\x1b]0;pwned\x07", "1.1",
            404,
        )  # fmt: skip
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    out = capsys.readouterr()
    text = out.out + out.err
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text
    assert "CUST\\x1b[2J\\r\\nforged line" in text
    assert "/customers/\\x1b]0;pwned\\x07" in text
