"""The restart policy with a fake clock: backoff 1, 2, 4 … 30 s, and `crashed` after 5 exits."""

from __future__ import annotations

import pytest

from lab.orchestration.policy import Backoff, Machine, Phase


def test_the_backoff_doubles_from_one_second_and_stops_at_thirty():
    b = Backoff()
    assert [b.delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]


def _running(now: float = 0.0) -> Machine:
    m = Machine()
    m.started(now)
    return m


def test_an_exit_schedules_a_restart_after_the_backoff():
    m = _running()
    assert m.exited(10.0, 137) is Phase.RESTARTING
    assert m.last_exit == 137 and m.uptime(10.0) is None
    assert not m.due(10.9)
    assert m.due(11.0)
    m.started(11.0)
    assert m.phase is Phase.STARTING and m.restarts == 1
    m.exited(12.0, 1)
    assert m.retry_at == 14.0  # second exit within the window: 2 s


def test_five_exits_within_two_minutes_is_crashed_and_it_is_not_restarted():
    m = _running()
    now = 0.0
    phases = []
    for _ in range(5):
        now += 1.0
        phases.append(m.exited(now, 1))
        if m.phase is Phase.RESTARTING:
            now = m.retry_at or now
            assert m.due(now)
            m.started(now)
    assert phases == [Phase.RESTARTING] * 4 + [Phase.CRASHED]
    assert m.restarts == 4
    assert not m.due(now + 3600)


def test_exits_further_apart_than_the_window_never_crash():
    m = _running()
    now = 0.0
    for _ in range(20):
        now += 121.0
        assert m.exited(now, 1) is Phase.RESTARTING
        assert m.retry_at == now + 1.0  # the earlier exits are forgotten: 1 s again
        m.started(now + 1.0)


def test_a_stop_on_request_forgets_the_exits_and_stays_stopped():
    m = _running()
    for t in (1.0, 2.0, 3.0, 4.0):
        m.exited(t, 1)
        m.started(t + 0.5)
    m.stopped()
    assert m.phase is Phase.STOPPED and not m.due(1e9)
    m.started(100.0)
    assert m.restarts == 4  # a start by hand is not a restart
    assert m.exited(101.0, 1) is Phase.RESTARTING and m.retry_at == 102.0


@pytest.mark.parametrize("phase", [Phase.STOPPED, Phase.RESTARTING, Phase.CRASHED])
def test_healthy_only_follows_starting(phase):
    m = Machine(phase=phase)
    m.healthy()
    assert m.phase is phase
    m = _running()
    m.healthy()
    assert m.phase is Phase.HEALTHY and m.running


def test_uptime_counts_from_the_start():
    m = _running(5.0)
    assert m.uptime(65.0) == 60.0
