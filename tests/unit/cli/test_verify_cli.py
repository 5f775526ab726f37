"""`lab course verify` and `lab exercise verify` from the command line: a mark per module, its
problems and notes, exit code 0 when every module verifies and 1 otherwise. (Verify itself runs
for real in tests/integration/grading/test_verify.py and tests/integration/authoring/.)"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from click.testing import CliRunner

from lab.cli import main
from lab.grading import verify


@dataclass
class Fake:
    answer: list[verify.Outcome] = field(default_factory=list)
    asked: list[list[str]] = field(default_factory=list)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Fake]:
    """verify's outcomes as the test sets them; the modules each call asked for."""
    made = Fake()

    def verifying(modules: list[str], **_: object) -> list[verify.Outcome]:
        made.asked.append(modules)
        return made.answer

    monkeypatch.setattr(verify, "verify", verifying)
    handler = signal.getsignal(signal.SIGTERM)  # the command makes SIGTERM end it like Ctrl-C
    yield made
    signal.signal(signal.SIGTERM, handler)


@pytest.mark.parametrize("verb", ["course", "exercise"])
def test_every_module_verified_exits_0(verb: str, fake: Fake) -> None:
    fake.answer = [verify.Outcome("M1", notes=["M1.layout: given"]), verify.Outcome("M2")]
    done = CliRunner().invoke(main, [verb, "verify", "M1", "M2"])
    assert done.exit_code == 0, done.output
    assert "✔ M1" in done.output and "✔ M2" in done.output and "M1.layout: given" in done.output
    assert fake.asked == [["M1", "M2"]]


@pytest.mark.parametrize("verb", ["course", "exercise"])
def test_a_module_with_a_problem_exits_1_and_says_it(verb: str, fake: Fake) -> None:
    fake.answer = [verify.Outcome("M1"), verify.Outcome("M2", ["solution: M2.reject fail: 200"])]
    done = CliRunner().invoke(main, [verb, "verify", "M1", "M2"])
    assert done.exit_code == 1
    assert "✔ M1" in done.output and "✘ M2" in done.output
    assert "solution: M2.reject fail: 200" in done.output


def test_an_unknown_module_is_a_usage_error(fake: Fake) -> None:
    done = CliRunner().invoke(main, ["course", "verify", "M9"])
    assert done.exit_code == 2 and "M9" in done.output
    assert fake.asked == []  # nothing verified
