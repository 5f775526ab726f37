"""`CallSlots`: at most N CRM calls in flight; the others wait their turn, first come first served.

A waiting call gives up only when the CRM has stopped answering: when no call in flight got an
answer for `stall_after` seconds (and the call itself waited that long). However long the queue,
a CRM that keeps answering is waited for, so a burst of a thousand updates on a loaded machine
is slow, not failed. A cap that failed every call which had waited 30 s turned such a burst into
503s whose message ("none finished for 30 s") was not true: calls were finishing all along.

A slot is handed straight to the oldest waiter when a call ends, so nobody overtakes the queue;
a waiter that is cancelled (its request abandoned) just as it was handed a slot passes it on.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

__all__ = ["CallSlots", "CrmStalled"]


class CrmStalled(Exception):
    """No call in flight got an answer for `CallSlots.stall_after` seconds."""

    def __init__(self, in_flight: int, waiting: int, silent_for: float):
        super().__init__(f"no answer for {silent_for:.1f} s ({in_flight} in flight)")
        self.in_flight = in_flight
        self.waiting = waiting
        self.silent_for = silent_for


class CallSlots:
    """`await slots.acquire()` before a call, `slots.release(answered=...)` after it."""

    def __init__(
        self, limit: int, stall_after: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1:
            raise ValueError(f"at least one call must be allowed in flight, not {limit}")
        self.limit = limit
        self.stall_after = stall_after
        self._clock = clock
        self._free = limit  # > 0 only while nobody waits (a release hands its slot on)
        self._queue: deque[asyncio.Future[None]] = deque()
        self._waiting = 0
        self._last_answer = clock()

    @property
    def in_flight(self) -> int:
        return self.limit - self._free

    @property
    def waiting(self) -> int:
        return self._waiting

    async def acquire(self) -> None:
        """Take a slot: at once if one is free, else in turn. Raises `CrmStalled` when this
        call has waited `stall_after` seconds and no call got an answer in that time."""
        if self._free > 0:
            self._free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(turn)
        self._waiting += 1
        started = self._clock()
        try:
            while not turn.done():
                now = self._clock()
                silent_since = max(started, self._last_answer)
                if now - silent_since >= self.stall_after:
                    raise CrmStalled(self.in_flight, self._waiting - 1, now - silent_since)
                # (asyncio.wait does not cancel `turn` on timeout: the call keeps its place)
                await asyncio.wait((turn,), timeout=silent_since + self.stall_after - now)
        except BaseException:
            if turn.done() and not turn.cancelled():
                self._hand_on()  # handed a slot while leaving: the next waiter gets it
            else:
                turn.cancel()  # skipped by _hand_on
            raise
        finally:
            self._waiting -= 1

    def release(self, *, answered: bool) -> None:
        """End a call; `answered` when the CRM sent an answer (any status: it is alive), not
        when the call failed on the network or timed out."""
        if answered:
            self._last_answer = self._clock()
        self._hand_on()

    def _hand_on(self) -> None:
        while self._queue:
            turn = self._queue.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1
