"""`lab up`'s stop signals: Ctrl-C, SIGTERM, a closed terminal (SIGHUP), Ctrl-Break (SIGBREAK)
each ask for one stop; a second Ctrl-C while stopping is ignored; handlers are put back."""

from __future__ import annotations

import signal
import sys

import pytest

from lab.orchestration import signals
from lab.orchestration.signals import stop_requested, stop_signals


def test_the_signals_of_this_os_are_handled():
    sigs = set(stop_signals())
    assert {signal.SIGINT, signal.SIGTERM} <= sigs
    if sys.platform == "win32":
        assert signal.SIGBREAK in sigs  # type: ignore[attr-defined]
    else:
        assert signal.SIGHUP in sigs  # the terminal was closed


@pytest.mark.parametrize("sig", stop_signals(), ids=lambda s: signal.Signals(s).name)
def test_each_stop_signal_sets_the_event_and_raises_nothing(sig):
    with stop_requested() as stop:
        assert not stop.is_set()
        signal.raise_signal(sig)
        assert stop.wait(5)


def test_a_second_ctrl_c_is_ignored():
    with stop_requested() as stop:
        signal.raise_signal(signal.SIGINT)
        assert stop.wait(5)
        signal.raise_signal(signal.SIGINT)  # no KeyboardInterrupt in the middle of stopping
        signal.raise_signal(signal.SIGINT)
        assert stop.is_set()


def test_the_previous_handlers_are_put_back():
    before = {s: signal.getsignal(s) for s in stop_signals()}
    with stop_requested():
        assert all(signal.getsignal(s) is not before[s] for s in stop_signals())
    assert {s: signal.getsignal(s) for s in stop_signals()} == before


@pytest.mark.skipif(sys.platform == "win32", reason="the real SIGBREAK is tested there")
def test_ctrl_break_is_a_stop_signal_on_windows(monkeypatch):
    monkeypatch.setattr(signals.sys, "platform", "win32")
    monkeypatch.setattr(signal, "SIGBREAK", signal.SIGUSR1, raising=False)
    assert signal.SIGUSR1 in stop_signals() and signal.SIGHUP not in stop_signals()
    with stop_requested() as stop:
        signal.raise_signal(signal.SIGUSR1)
        assert stop.wait(5)


def test_lab_up_keeps_ignoring_ctrl_c_after_the_stop():
    before = {s: signal.getsignal(s) for s in stop_signals()}
    try:
        with stop_requested(restore=False) as stop:
            pass
        assert all(signal.getsignal(s) == signal.SIG_IGN for s in stop_signals())
        signal.raise_signal(signal.SIGINT)  # late: ignored, no KeyboardInterrupt
        assert not stop.is_set()
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
