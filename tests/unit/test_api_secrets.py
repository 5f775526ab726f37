"""The API refuses a placeholder or short secret at start, in one line naming the key."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from lab.api import create_api
from lab.cli import main
from lab.settings import SettingsError


@pytest.mark.parametrize("key", ["ADMIN_TOKEN", "CRM_TOKEN", "API_TOKEN"])
def test_create_api_refuses_a_placeholder(settings_factory, key) -> None:
    with pytest.raises(SettingsError, match=rf"^{key} is the placeholder '<generated>'"):
        create_api(settings_factory(**{key: "<generated>"}))


def test_lab_serve_refuses_a_short_token_in_one_line(settings, monkeypatch) -> None:
    monkeypatch.setenv("LAB_HOME", str(settings.LAB_HOME))
    monkeypatch.setenv("CRM_TOKEN", "short")
    monkeypatch.setenv("API_PORT", "1")
    result = CliRunner().invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "CRM_TOKEN is only 5 characters (at least 16)" in result.output
    assert "Traceback" not in result.output
