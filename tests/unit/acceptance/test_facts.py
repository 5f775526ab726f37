"""`lab.acceptance.checks.facts`: what the checks of one run share, computed once on first need,
never depending on which check ran first."""

from __future__ import annotations

import threading
import time

import pytest

from lab.acceptance.checks.facts import Fact, Facts

COUNT: Fact[int] = Fact("count")


def test_a_fact_is_computed_once_per_key() -> None:
    facts, calls = Facts(), []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert facts.once(COUNT, "a", compute) == 1
    assert facts.once(COUNT, "a", compute) == 1
    assert facts.once(COUNT, "b", compute) == 2
    assert facts.known(COUNT, "a") == 1 and facts.known(COUNT, "c") is None


def test_two_threads_needing_it_at_once_compute_it_once() -> None:
    facts, calls = Facts(), []
    gate = threading.Event()

    def compute() -> int:
        calls.append(1)
        gate.wait(5)
        return 7

    got: list[int] = []
    threads = [threading.Thread(target=lambda: got.append(facts.once(COUNT, None, compute)))
               for _ in range(4)]  # fmt: skip
    for t in threads:
        t.start()
    time.sleep(0.05)
    gate.set()
    for t in threads:
        t.join(5)
    assert got == [7, 7, 7, 7] and calls == [1]


def test_a_compute_that_raises_stores_nothing() -> None:
    facts = Facts()

    def broken() -> int:
        raise RuntimeError("service down")

    with pytest.raises(RuntimeError):
        facts.once(COUNT, None, broken)
    assert facts.once(COUNT, None, lambda: 3) == 3
    facts.forget()
    assert facts.known(COUNT) is None
