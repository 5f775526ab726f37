"""M6.hidden_mutants (kind tests_catch_hidden_mutants): the instructor's hidden mutants run
against the learner's tests for real; what the learner reads is "caught k of n hidden mutants",
never a name or what broke. Here the tests catch the four public mutants and miss the default
course's hidden one (nothing reads crm_segment_updates_total)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lab import workspace
from lab.acceptance.checks import CheckFailed, CheckSkipped
from lab.acceptance.checks.mutant_tests import (
    HiddenMutantParams,
    MutantParams,
    catches_hidden_mutants,
    catches_mutants,
)
from lab.authoring.new import new_course
from lab.exercises import course, mutants
from lab.settings import default_config_dir
from tests.unit.acceptance.test_mutant_tests import LEAN_TESTS, put_tests

COUNTER_TEST = """

def test_a_prediction_moves_the_request_counter(tmp_path):
    app = create_app(Config(tmp_path, "http://crm.test", "token", SEGMENTS))

    def count(client):
        for line in client.get("/metrics").text.splitlines():
            if line.startswith("prediction_requests_total{"):
                return float(line.split()[-1])
        return 0.0

    with TestClient(app) as client:
        before = count(client)
        client.post("/predict", json={"features": [1, 2]})
        assert count(client) == before + 1
"""


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> workspace.Workspace:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return workspace.Workspace(root=tmp_path, modules=("M6",))


def test_a_missed_hidden_mutant_is_counted_and_never_named(make_ctx, tmp_path, ws) -> None:
    put_tests(tmp_path, LEAN_TESTS + COUNTER_TEST)
    ctx = make_ctx(workspace=ws, python=Path(sys.executable), timeout=300)
    said = catches_mutants(MutantParams(workers=2), ctx)  # the four public ones: caught
    assert "fail on each of 4 broken variants" in said
    with pytest.raises(CheckFailed) as failed:
        catches_hidden_mutants(HiddenMutantParams(workers=2), ctx)
    assert str(failed.value) == "caught 0 of 1 hidden mutants"
    (hidden,) = mutants.hidden(course.load())
    shown = f"{failed.value} {failed.value.hint} {failed.value.hint_zh_tw}"
    for secret in (hidden.name, hidden.what, hidden.find, hidden.replace, "crm_segment_updates"):
        assert secret not in shown


def test_a_course_without_hidden_mutants_skips(make_ctx, tmp_path, ws, settings) -> None:
    put_tests(tmp_path, "def test_ok():\n    pass\n")
    mine = new_course(tmp_path / "mine", default_config_dir() / "rubric.yml")
    (mine.instructor_dir / "mutants.yml").unlink()
    ctx = make_ctx(
        workspace=ws, python=Path(sys.executable),
        settings=settings.model_copy(update={"LAB_COURSE": mine.root}),
    )  # fmt: skip
    with pytest.raises(CheckSkipped, match="no hidden mutants"):
        catches_hidden_mutants(HiddenMutantParams(), ctx)
