"""lab.crm.slots.CallSlots: first come first served, no slot ever lost, and a waiter gives up
only when no call got an answer for `stall_after` seconds."""

from __future__ import annotations

import asyncio

import pytest

from lab.crm.slots import CallSlots, CrmStalled

pytestmark = pytest.mark.anyio


async def call(slots: CallSlots, order: list[int], n: int, hold: float, answered: bool) -> None:
    await slots.acquire()
    order.append(n)
    await asyncio.sleep(hold)
    slots.release(answered=answered)


async def test_waiters_get_their_turn_in_order_and_every_slot_comes_back() -> None:
    slots, order = CallSlots(2, stall_after=5), []
    await asyncio.gather(*(call(slots, order, n, 0.001, True) for n in range(20)))
    assert order == list(range(20))
    assert (slots.in_flight, slots.waiting) == (0, 0)


async def test_a_waiter_keeps_waiting_while_answers_keep_coming() -> None:
    """40 calls one at a time, 10 ms each: the last waits 0.4 s or more, past `stall_after`."""
    slots, order = CallSlots(1, stall_after=0.3), []
    await asyncio.gather(*(call(slots, order, n, 0.01, True) for n in range(40)))
    assert order == list(range(40))


async def test_calls_that_end_without_an_answer_are_no_progress() -> None:
    """Every call times out (no answer): the waiters give up after `stall_after`, not after
    the whole queue has timed out one by one."""
    slots, order = CallSlots(1, stall_after=0.1), []
    results = await asyncio.gather(
        *(call(slots, order, n, 0.03, False) for n in range(20)), return_exceptions=True
    )
    stalled = [r for r in results if isinstance(r, CrmStalled)]
    assert 10 <= len(stalled) < 20 and len(order) == 20 - len(stalled)
    assert stalled[0].silent_for >= 0.1 and stalled[0].in_flight == 1
    assert (slots.in_flight, slots.waiting) == (0, 0)


async def test_a_stuck_call_fails_the_waiters_but_not_before_stall_after() -> None:
    slots = CallSlots(1, stall_after=0.1)
    await slots.acquire()  # in flight, never answered
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(CrmStalled) as stalled:
        await slots.acquire()
    assert loop.time() - started >= 0.1
    assert (stalled.value.in_flight, stalled.value.waiting) == (1, 0)
    slots.release(answered=False)
    assert slots.in_flight == 0


async def test_a_waiter_cancelled_as_it_is_handed_a_slot_passes_it_on() -> None:
    slots = CallSlots(1, stall_after=5)
    await slots.acquire()
    second = asyncio.create_task(slots.acquire())
    third = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)  # both wait
    slots.release(answered=True)  # handed to `second`...
    second.cancel()  # ...which is abandoned before it runs
    await asyncio.wait_for(third, 1)  # the slot reached `third`
    assert second.cancelled() and (slots.in_flight, slots.waiting) == (1, 0)
    slots.release(answered=True)
    assert slots.in_flight == 0


async def test_a_cancelled_waiter_loses_its_place_only() -> None:
    slots = CallSlots(1, stall_after=5)
    await slots.acquire()
    gone = asyncio.create_task(slots.acquire())
    stays = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.sleep(0)
    assert slots.waiting == 1
    slots.release(answered=True)
    await asyncio.wait_for(stays, 1)
    assert slots.in_flight == 1


def test_at_least_one_slot() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CallSlots(0, stall_after=1)
