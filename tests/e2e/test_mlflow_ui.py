"""The MLflow UI shows the registered version and its `champion` alias, in a real browser."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support import MLFLOW_START_TIMEOUT, free_port, lab_env, lab_process

pytestmark = pytest.mark.e2e


def test_model_page_shows_version_1_and_the_champion_alias(tmp_path, page):
    home = tmp_path / "home"
    port = free_port()
    env = lab_env(home, MLFLOW_PORT=port, MODEL_NAME="churn-e2e")
    with lab_process(["mlflow"], env, home / "mlflow.log") as server:
        base = f"http://127.0.0.1:{port}"
        server.wait_healthy(f"{base}/health", timeout=MLFLOW_START_TIMEOUT)
        subprocess.run(
            [sys.executable, "-m", "lab", "train", "--model-version", "v1.2.0-stable"],
            env=env, check=True, capture_output=True, timeout=240,
        )  # fmt: skip

        page.goto(f"{base}/#/models/churn-e2e", wait_until="domcontentloaded")
        page.get_by_text("Version 1").first.wait_for(timeout=30_000)
        (row,) = _alias_tags(page)  # in the versions table, beside Version 1
        assert row.text_content() == ALIAS_TEXT
        page.screenshot(path=str(tmp_path / "mlflow-model.png"))

        page.goto(f"{base}/#/models/churn-e2e/versions/1", wait_until="domcontentloaded")
        page.get_by_text("v1.2.0-stable").first.wait_for(timeout=30_000)
        (own,) = _alias_tags(page)  # version 1's own page: the alias is this version's
        assert own.text_content() == ALIAS_TEXT


#: MLflow's alias tag (ModelVersionAliasTag): an element titled with the alias, reading "@ alias".
ALIAS_TEXT = "@\u00a0champion"


def _alias_tags(page) -> list:
    """The `champion` alias elements, not any text that merely contains "champion"."""
    tags = page.locator('[title="champion"]').filter(has_text=ALIAS_TEXT)
    tags.first.wait_for(timeout=30_000)
    return tags.all()
