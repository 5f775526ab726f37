"""lab/exercises/hints.py's workspace scan and progress's attempts: a data file of any size is
never read, the workspace is scanned once per `lab check`, and a run against a lab that is down
is not an attempt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.exercises import build, hints, progress


@pytest.fixture
def ws(tmp_path: Path):
    return build.create(tmp_path / "ws", "M4", settings={"API_PORT": 24994}, git=False)


def test_the_scan_finds_every_kind_of_todo(ws) -> None:
    index = hints.scan(ws.root)
    assert any(w.startswith("app/crm.py:") for w in index.of("M4.crm_record"))
    assert index.of("M4.crm_record") == hints.todos(ws.root, "M4.crm_record")
    (ws.root / "dashboards" / "extra.json").write_text(
        '{"panels": [{"title": "M5.dashboard: a panel", "targets": [{"expr": "TODO"}]}]}\n'
    )
    (ws.root / "notes.toml").write_text("# TODO M1.train: the training command\n")
    index = hints.scan(ws.root)
    assert "dashboards/extra.json:1" in index.of("M5.dashboard")
    assert "notes.toml:1" in index.of("M1.train")


def test_a_file_over_the_bound_or_of_another_kind_is_never_read(ws, monkeypatch) -> None:
    line = 'raise NotImplementedError("M4.crm_record: hidden in data")\n'
    big = ws.root / "data" / "big.json"
    big.parent.mkdir()
    big.write_text(line + "0" * (hints.MAX_BYTES + 1), encoding="utf-8")
    (ws.root / "data" / "train.csv").write_text(line, encoding="utf-8")
    (ws.root / ".venv" / "lib").mkdir(parents=True)
    (ws.root / ".venv" / "lib" / "x.py").write_text(line, encoding="utf-8")
    opened: list[str] = []
    real_open = Path.open

    def spy(self: Path, *args, **kwargs):
        opened.append(self.name)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy)
    index = hints.scan(ws.root)
    assert not [w for w in index.of("M4.crm_record") if w.startswith(("data/", ".venv"))]
    assert "big.json" not in opened and "train.csv" not in opened and "x.py" not in opened
    assert index.skipped == ("data/big.json",)


def test_lab_check_scans_the_workspace_once_for_all_its_failures(ws, monkeypatch) -> None:
    calls = []
    real = progress.scan

    def counting(root: Path, *args, **kwargs):
        calls.append(root)
        return real(root, *args, **kwargs)

    monkeypatch.setattr(progress, "scan", counting)
    ids = ("M4.crm_record", "M4.segment_rule", "M4.flow_log", "M4.crm_down")
    failed = [{"id": c, "status": "fail", "observed": "x"} for c in ids]
    said = progress.after_check(ws.root, json.dumps({"modules": [{"criteria": failed}]}))
    assert len(calls) == 1
    assert "TODO M4.crm_record: app/crm.py:" in (said or "")
    assert "TODO M4.segment_rule: app/crm.py:" in (said or "")


def test_a_run_against_a_lab_that_is_down_is_not_an_attempt(ws) -> None:
    def run(status: str, observed: str) -> None:
        doc = {"modules": [{"criteria": [{"id": "M4.crm_record", "status": status,
                                          "observed": observed}]}]}  # fmt: skip
        progress.after_check(ws.root, json.dumps(doc))

    run("pass", "the CRM holds high_risk")
    run("fail", "cannot connect to http://127.0.0.1:24994/crm_segment_update: nothing listens")
    run("error", "the grading environment could not run it")
    run("skip", "not graded")
    record = progress.read(ws.root)["M4.crm_record"]
    assert record["attempts"] == 1 and record["last_status"] == "pass"
    run("fail", "the CRM holds nothing for CUST_TEST_007")
    assert progress.read(ws.root)["M4.crm_record"]["attempts"] == 2
