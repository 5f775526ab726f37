"""lab/exercises/supervised.py: verify's CRM runs under `lab up`, which fault checks drive."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from lab import procs
from lab.acceptance import load_rubric
from lab.acceptance.checks.flow import FaultParams
from lab.cli.up_cmd import up
from lab.exercises import supervised
from lab.orchestration import procfile
from lab.settings import default_config_dir, load_settings


def test_every_fault_check_of_the_rubric_names_the_process_verify_supervises() -> None:
    rubric = load_rubric(default_config_dir() / "rubric.yml")
    faults = {
        c.id: params.process
        for m in rubric.modules
        for c in m.criteria
        if isinstance(params := c.params(), FaultParams)
    }
    assert faults == supervised.FAULTS
    assert set(faults.values()) <= set(supervised.PROCESSES)
    assert supervised.fault_criteria("M4") == ["M4.crm_down"]
    assert [m for m in ("M1", "M2", "M3", "M5", "M6") if supervised.fault_criteria(m)] == []


def test_its_lab_runs_the_labs_own_crm_with_verifys_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("CRM_PORT", "CRM_TOKEN", "LAB_HOME"):
        monkeypatch.delenv(key, raising=False)
    token = "t0ken-of-verify-" * 2
    env_file = supervised.write_files(
        tmp_path, ["crm"], {"CRM_PORT": 24001, "CRM_TOKEN": token, "LAB_HOME": tmp_path}
    )
    checkout = procfile.load(procfile.find(Path(__file__).parents[3]))
    assert procfile.load(tmp_path / "Procfile") == {"crm": checkout["crm"]}
    settings = load_settings(env_file=env_file)
    assert settings.CRM_PORT == 24001
    assert token == settings.CRM_TOKEN
    assert tmp_path == settings.LAB_HOME


def test_the_command_is_lab_up_of_those_processes_without_training(tmp_path: Path) -> None:
    cmd = supervised.command(tmp_path, ["crm"])
    assert cmd[:4] == [sys.executable, "-m", "lab", "up"]
    with up.make_context("up", cmd[4:]) as ctx:
        assert ctx.params["process_names"] == ("crm",)
        assert ctx.params["procfile_path"] == tmp_path / "Procfile"
        assert ctx.params["no_train"] and ctx.params["quiet"]


def test_a_lab_up_that_recorded_no_lab_yet_is_stopped_all_the_same(tmp_path: Path) -> None:
    child = procs.spawn_group("lab up", [sys.executable, "-c", "import time; time.sleep(60)"],
                              cwd=tmp_path, env=os.environ, log=tmp_path / "up.log")  # fmt: skip
    supervised.stop(child, tmp_path / "run")  # no LAB_HOME/run/lab.json: nothing `lab down` finds
    assert child.proc.returncode is not None
