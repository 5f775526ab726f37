"""What the checks of one run share, typed: each fact is computed once, by the first check that
needs it, and never depends on which check ran first.

A fact is declared where it is computed, as a typed name (`HEALTH: Fact[dict[str, Any]] =
Fact("health")`), and a check that needs it calls that module's getter, which asks
`ctx.facts.once(FACT, key, compute)`. Two threads that need the same fact at once compute it once
(the second waits). A compute that raises stores nothing: the next check that needs the fact
tries again and fails with its own message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")

__all__ = ["Fact", "Facts"]


@dataclass(frozen=True)
class Fact(Generic[T]):
    """The name of one kind of shared answer, typed by what it holds."""

    name: str


class Facts:
    """The facts of one `lab check` run (a new run: a new Facts)."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, Hashable], Any] = {}
        self._locks: dict[tuple[str, Hashable], threading.Lock] = {}
        self._guard = threading.Lock()

    def once(self, fact: Fact[T], key: Hashable, compute: Callable[[], T]) -> T:
        """The fact for `key`, computed by `compute` the first time it is needed."""
        slot = (fact.name, key)
        with self._guard:
            lock = self._locks.setdefault(slot, threading.Lock())
        with lock:
            if slot not in self._values:
                self._values[slot] = compute()
            return cast(T, self._values[slot])

    def known(self, fact: Fact[T], key: Hashable = None) -> T | None:
        """The fact for `key` if a check computed it already, else None (computes nothing)."""
        with self._guard:
            return cast("T | None", self._values.get((fact.name, key)))

    def forget(self) -> None:
        """Drop every fact (a test that runs the same checks against a changed service)."""
        with self._guard:
            self._values.clear()
