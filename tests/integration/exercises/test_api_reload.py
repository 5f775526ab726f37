"""A workspace's API serves an edit without a restart: `lab check` once repeated a 501 for a
TODO that was no longer on disk."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from lab.exercises import build
from lab.settings import load_settings
from tests.support import free_ports, lab_env, wait_until

pytestmark = pytest.mark.integration


def test_an_edit_to_the_learners_api_is_served_without_a_restart(tmp_path: Path) -> None:
    api, crm = free_ports(2)
    ws = build.create(tmp_path / "ws", "M2", settings={"API_PORT": api, "CRM_PORT": crm}, git=False)
    args = ws.process_args("api", load_settings(env_file=ws.env_file)) or []
    env = lab_env(tmp_path / "home", LAB_ENV_FILE=str(ws.env_file))
    url = f"http://127.0.0.1:{api}/health"
    with (tmp_path / "api.log").open("wb") as log:
        proc = subprocess.Popen(args, cwd=ws.root, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: httpx.get(url).status_code == 501, 60, "the starter's 501")
            main = ws.root / "app" / "main.py"
            todo = next(ln for ln in main.read_text().splitlines() if '"M2.health:' in ln)
            indent = todo[: len(todo) - len(todo.lstrip())]
            edited = f'{indent}return {{"model_loaded": False, "reason": "my edit"}}'
            main.write_text(main.read_text().replace(todo, edited))
            wait_until(
                lambda: httpx.get(url).json().get("reason") == "my edit", 60, "the edit served"
            )
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert Path(ws.root / "app" / "main.py").read_text().count("my edit") == 1
