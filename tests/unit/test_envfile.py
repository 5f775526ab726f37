from __future__ import annotations

import pytest

from lab.envfile import GENERATED, EnvFileExistsError, add_secret, find_example, render, write_env
from lab.settings import Settings, load_settings

SECRETS = ("CRM_TOKEN", "ADMIN_TOKEN", "GRAFANA_ADMIN_PASSWORD", "GRAFANA_SECRET_KEY", "API_TOKEN")


def _values(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and line[0] != "#")
    return dict(pairs)


def test_example_lists_every_setting_with_a_comment():
    lines = find_example().read_text(encoding="utf-8").splitlines()
    keys = [line.split("=", 1)[0] for line in lines if "=" in line and not line.startswith("#")]
    assert set(keys) == set(Settings.model_fields)
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            above = i - 1
            while above >= 0 and "=" in lines[above] and not lines[above].startswith("#"):
                above -= 1  # a host/port pair shares one comment
            assert above >= 0 and lines[above].startswith("#"), f"{line} has no comment"


def test_render_generates_distinct_secrets_and_keeps_the_rest():
    example = find_example().read_text(encoding="utf-8")
    first, second = _values(render(example)), _values(render(example))
    for key in SECRETS:
        assert first[key] != GENERATED
        assert len(first[key]) >= 24
        assert first[key] != second[key]
    assert first["API_PORT"] == "8000"
    assert "admin" not in first["GRAFANA_ADMIN_PASSWORD"].lower()


def test_written_env_loads_and_is_not_overwritten_without_force(tmp_path, settings_factory):
    target = tmp_path / ".env"
    write_env(target)
    before = target.read_text(encoding="utf-8")
    s = load_settings(env_file=target)
    assert s.CRM_TOKEN and s.ADMIN_TOKEN and s.GRAFANA_ADMIN_PASSWORD
    with pytest.raises(EnvFileExistsError, match="--force"):
        write_env(target)
    assert target.read_text(encoding="utf-8") == before
    write_env(target, force=True)
    assert target.read_text(encoding="utf-8") != before


def test_add_secret_appends_one_generated_key_and_keeps_the_rest(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAFANA_SECRET_KEY", raising=False)  # the environment wins over .env
    target = tmp_path / ".env"
    target.write_text("API_PORT=8100", encoding="utf-8")
    value = add_secret(target, "GRAFANA_SECRET_KEY")
    assert _values(target.read_text(encoding="utf-8")) == {
        "API_PORT": "8100", "GRAFANA_SECRET_KEY": value,
    }  # fmt: skip
    assert len(value) >= 24 and value == load_settings(env_file=target).GRAFANA_SECRET_KEY
