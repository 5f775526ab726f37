"""A pass of a `reusable` check is reported again while the project's files and its venv stay
the same; any change, a fail, `--fresh` (no store) or an interpreter outside a venv runs it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lab.acceptance.checks import CheckFailed, Params, Status
from lab.acceptance.checks._base import CheckKinds, Schedule
from lab.acceptance.checks.facts import Facts
from lab.acceptance.reuse import KEEP, Store
from lab.acceptance.reuse import key as run_key
from lab.acceptance.rubric import Criterion
from lab.acceptance.runner import run_criterion


def _venv(root: Path, system: bool = False) -> Path:
    """A venv's shape: pyvenv.cfg, bin/python, site-packages with one distribution."""
    (root / "bin").mkdir(parents=True)
    python = root / "bin" / "python"
    python.write_text("")
    (root / "pyvenv.cfg").write_text(
        f"home = /usr/bin\ninclude-system-site-packages = {str(system).lower()}\n"
    )
    site = root / "lib" / "python3.11" / "site-packages"
    (site / "numpy-2.0.0.dist-info").mkdir(parents=True)
    return python


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "training").mkdir(parents=True)
    (root / "training" / "train.py").write_text("print('training')\n")
    return root


def key(kind: str, params: dict, python: Path | None, project: Path) -> str | None:
    """The key in a run of its own (a new `lab check`: nothing memoized yet)."""
    return run_key(kind, params, python, project, Facts())


def _bump(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_the_key_follows_the_project_and_the_venv(project: Path) -> None:
    python = _venv(project / ".venv")
    first = key("train_command", {"flags": ["--n_samples", "300"]}, python, project)
    assert first is not None
    assert key("train_command", {"flags": ["--n_samples", "300"]}, python, project) == first
    assert key("train_command", {"flags": ["--n_samples", "301"]}, python, project) != first
    assert key("project_dependencies", {"flags": ["--n_samples", "300"]}, python, project) != first

    _bump(project / "training" / "train.py")  # an edit of the training code
    edited = key("train_command", {"flags": ["--n_samples", "300"]}, python, project)
    assert edited != first

    site = project / ".venv" / "lib" / "python3.11" / "site-packages"
    (site / "scikit_learn-1.5.0.dist-info").mkdir()  # a pip install
    installed = key("train_command", {"flags": ["--n_samples", "300"]}, python, project)
    assert installed not in (first, edited)

    # state and caches do not count: LAB_HOME (.lab), __pycache__, the venv's own files
    (project / ".lab").mkdir()
    (project / ".lab" / "lab.log").write_text("a line\n")
    (project / "training" / "__pycache__").mkdir()
    (project / "training" / "__pycache__" / "train.cpython-311.pyc").write_bytes(b"\0")
    _venv(project / "env")  # a second venv, named as the learner likes
    (project / "env" / "lib" / "python3.11" / "site-packages" / "x.py").write_text("")
    (project / "progress.json").write_text("{}\n")  # what each `lab check` writes
    assert key("train_command", {"flags": ["--n_samples", "300"]}, python, project) == installed
    (project / "training" / "progress.json").write_text("{}\n")  # a file of the project's
    assert key("train_command", {"flags": ["--n_samples", "300"]}, python, project) != installed


def test_one_run_reads_the_project_once_for_all_its_checks(project: Path) -> None:
    python = _venv(project / ".venv")
    facts = Facts()
    train = run_key("train_command", {}, python, project, facts)
    _bump(project / "training" / "train.py")  # during the run: the next run sees it
    assert run_key("train_command", {}, python, project, facts) == train
    deps = run_key("project_dependencies", {}, python, project, facts)
    assert deps not in (None, train)
    assert key("train_command", {}, python, project) != train


def test_no_key_outside_a_venv_or_with_the_systems_packages(project: Path, tmp_path: Path) -> None:
    bare = tmp_path / "usr" / "bin" / "python3"
    bare.parent.mkdir(parents=True)
    bare.write_text("")
    assert key("train_command", {}, bare, project) is None
    assert key("train_command", {}, None, project) is None
    shared = _venv(tmp_path / "shared-venv", system=True)
    assert key("train_command", {}, shared, project) is None


def test_the_store_keeps_the_newest_passes_and_survives_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "checks.json"
    store = Store(path)
    assert store.get("k0") is None  # no file yet
    for i in range(KEEP + 3):
        store.put(f"k{i}", f"observed {i}")
    assert store.get("k0") is None and store.get("k2") is None  # the oldest went
    assert store.get(f"k{KEEP + 2}") == {"observed": f"observed {KEEP + 2}", "at": pytest.approx(
        json.loads(path.read_text())[f"k{KEEP + 2}"]["at"])}  # fmt: skip
    assert len(json.loads(path.read_text())) == KEEP
    assert not [p for p in path.parent.iterdir() if p != path]  # no temp file left
    path.write_text("{not json")
    assert store.get("k3") is None
    store.put("k3", "again")
    assert store.get("k3")["observed"] == "again"


class Reusable(Params):
    schedule = Schedule(reusable=True)
    answer: str = "pass"


def _counting(registry: CheckKinds, runs: list[str]) -> None:
    @registry.kind("counted", Reusable)
    def counted(params: Reusable, _ctx) -> str:
        runs.append(params.answer)
        if params.answer == "fail":
            raise CheckFailed("the training command exited 1")
        return "the training command wrote the model file"


def _criterion(answer: str = "pass") -> Criterion:
    return Criterion(id="M1.train", title="t", title_zh_tw="t", weight=1,
                     check={"kind": "counted", "answer": answer}, hint="h")  # fmt: skip


def test_a_pass_is_reported_again_until_a_file_changes(make_ctx, project: Path) -> None:
    registry, runs = CheckKinds(), []
    _counting(registry, runs)
    python, store = _venv(project / ".venv"), Store(project / ".lab" / "cache" / "checks.json")

    def run():  # one `lab check`: a context (and its memo) of its own
        ctx = make_ctx(project_dir=project, python=python, reuse=store)
        return run_criterion(_criterion(), ctx, registry)[0]

    first, again = run(), run()
    assert runs == ["pass"]
    assert first.status is again.status is Status.PASS
    assert again.observed.startswith("the training command wrote the model file · kept from ")
    assert "`lab check --fresh` runs it again" in again.observed

    _bump(project / "training" / "train.py")
    after_edit = run()
    assert runs == ["pass", "pass"] and "kept" not in after_edit.observed


def test_a_fail_is_never_kept_and_no_store_always_runs(make_ctx, project: Path) -> None:
    registry, runs = CheckKinds(), []
    _counting(registry, runs)
    python = _venv(project / ".venv")
    store = Store(project / ".lab" / "cache" / "checks.json")
    for _ in range(2):
        ctx = make_ctx(project_dir=project, python=python, reuse=store)
        outcome, _ = run_criterion(_criterion("fail"), ctx, registry)
        assert outcome.status is Status.FAIL
    for _ in range(2):
        fresh = make_ctx(project_dir=project, python=python, reuse=None)  # `lab check --fresh`
        run_criterion(_criterion(), fresh, registry)
    assert runs == ["fail", "fail", "pass", "pass"]
