"""The CRM client's in-flight cap against a real small server: a burst bigger than the cap
waits its turn while the CRM keeps answering (however long the queue), and a CRM that stops
answering fails the waiting calls with a clear 503 instead of holding them forever."""

from __future__ import annotations

import asyncio
import time

import pytest

from lab.crm import client as client_module
from lab.crm.client import CrmClient
from lab.crm.errors import CrmTimeoutError, CrmUnavailableError
from lab.data import FEATURE_NAMES
from tests.unit.crm.test_transport import ok, serve

pytestmark = pytest.mark.anyio

#: The test's CRM_MAX_IN_FLIGHT and stall timeout: small, so a short burst queues past it.
CAP, STALL = 2, 0.5


@pytest.fixture
def short_stall(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "STALL_TIMEOUT", STALL)


def crm_client(settings_factory, port: int, **settings: object) -> CrmClient:
    values = {
        "CRM_URL": f"http://127.0.0.1:{port}", "CRM_RETRIES": 0, "CRM_MAX_IN_FLIGHT": CAP,
        **settings,
    }  # fmt: skip
    return CrmClient(settings_factory(**values), sleep=lambda _s: asyncio.sleep(0))


async def test_a_slow_crm_that_keeps_answering_is_waited_for(settings_factory, short_stall) -> None:
    """40 calls, 2 at a time, one answer every 25 ms: the last call waits ~1 s in the queue,
    twice the stall timeout, yet every call succeeds, since answers never stop coming."""
    one_at_a_time = asyncio.Lock()  # a single-worker CRM: ~40 answers a second
    pending, peak = 0, 0

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal pending, peak
        while await reader.readuntil(b"\r\n\r\n"):
            pending += 1
            peak = max(peak, pending)
            async with one_at_a_time:
                await asyncio.sleep(0.025)
                writer.write(ok())
                await writer.drain()
            pending -= 1

    server, port = await serve(slow)
    started = time.monotonic()
    async with server, crm_client(settings_factory, port) as crm:
        answers = await asyncio.gather(
            *(crm.get_features("CUST001") for _ in range(40)), return_exceptions=True
        )
    waited = time.monotonic() - started
    print(f"40 calls through a cap of {CAP}: {waited:.2f} s ({waited / STALL:.1f}x the stall time)")
    failures = [a for a in answers if isinstance(a, BaseException)]
    assert failures == []
    assert answers == [[i + 0.5 for i in range(len(FEATURE_NAMES))]] * 40
    assert peak == CAP  # CRM_MAX_IN_FLIGHT calls at once, never more


async def test_a_crm_that_stops_answering_fails_the_waiting_calls_with_503(
    settings_factory, short_stall
) -> None:
    """The CRM accepts connections and never answers: the 2 calls in flight end with 504 at
    their read timeout, the 4 waiting ones with a 503 that says the CRM stopped answering."""

    async def stuck(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client hangs up

    server, port = await serve(stuck)
    async with server, crm_client(settings_factory, port, CRM_READ_TIMEOUT=1.0) as crm:
        answers = await asyncio.gather(
            *(crm.get_features("CUST001") for _ in range(6)), return_exceptions=True
        )
    kinds = sorted(type(a).__name__ for a in answers)
    assert kinds == [CrmTimeoutError.__name__] * 2 + [CrmUnavailableError.__name__] * 4
    stalled = [a for a in answers if isinstance(a, CrmUnavailableError)]
    assert all(a.status == 503 for a in stalled)
    assert "answered none" in str(stalled[0]) and f"127.0.0.1:{port}" in str(stalled[0])
