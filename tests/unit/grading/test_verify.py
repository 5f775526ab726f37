"""lab/grading/verify.py: the `lab check` verify runs on each workspace."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lab.acceptance import graded
from lab.cli.check_cmd import check
from lab.exercises import build
from lab.grading import verify
from lab.services import PORT_KEYS
from lab.settings import load_settings


@pytest.mark.parametrize("module", ["M1", "M2", "M3", "M4", "M5", "M6"])
def test_only_m4_runs_its_fault_check_on_verifys_lab_up(tmp_path: Path, module: str) -> None:
    ws = build.create(tmp_path / "ws", "M4", git=False)
    cmd, env = verify.check_call(ws, module, ["M2", module], {"PATH": "p"}, tmp_path)
    assert cmd[:4] == [sys.executable, "-m", "lab", "check"]
    with check.make_context("check", cmd[4:]) as ctx:
        assert ctx.params["modules"] == ("M2", module)
        assert ctx.params["project_dir"] == ws.root
        # M4: `lab check` stops and starts the CRM of the `lab up` in verify's LAB_HOME; the
        # others have no fault check of their own (M4.crm_down on a later starter is skipped)
        assert ctx.params["fault_checks"] is (module == "M4")
        assert ctx.params["fresh"] is True  # every check runs: no pass kept from before
        lab_home = ctx.params["lab_home"]
    assert env == {"PATH": "p"}
    # the checks' LAB_HOME (where `lab stop crm` finds the `lab up`) is verify's for M4: an
    # exported LAB_HOME would lose to the workspace's own .lab (`--project-dir`)
    settings = graded.project_settings(graded.resolve(ws.root, None), load_settings(), lab_home,
                                       explicit=True)  # fmt: skip
    want = tmp_path / verify.LAB_HOME if module == "M4" else ws.root / ".lab"
    assert want == settings.LAB_HOME


def test_an_exported_port_does_not_move_the_workspaces_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With API_PORT (or any *_PORT) exported in the shell, the API verify starts listens on
    verify's port, the one it waits on (the environment wins over the workspace's .env)."""
    ports = {k: 24100 + n for n, k in enumerate(sorted(build.PORT_KEYS))}  # API_PORT: 24100
    monkeypatch.setenv("API_PORT", "8000")
    monkeypatch.setenv("CRM_PORT", "8001")
    monkeypatch.setenv("HOME_PORT", "8080")  # lab home's default: verify's lab never binds it
    monkeypatch.setenv("SOME_OTHER_PORT", "9")
    settings = {**ports, "CRM_TOKEN": "t" * 32, "MODEL_NAME": "churn-m2-solution"}
    ws = build.create(tmp_path / "ws", "M2", settings=settings, git=False)
    args = verify.api_args(ws, ports)
    assert args[args.index("--port") + 1] == "24100"
    env = verify.child_env(ports, settings)
    assert {k: env[k] for k in build.PORT_KEYS} == {k: str(v) for k, v in ports.items()}
    assert "SOME_OTHER_PORT" not in env and "CRM_TOKEN" not in env


def test_verifys_lab_gives_every_process_of_the_one_list_a_free_port() -> None:
    """Not a default port (lab home's 8080 included), which another lab may hold."""
    ports = build.free_ports(preferred=())
    assert tuple(ports) == PORT_KEYS and "HOME_PORT" in ports
    assert not set(ports.values()) & set(build.DEFAULT_PORTS)
    assert len(set(ports.values())) == len(PORT_KEYS)
