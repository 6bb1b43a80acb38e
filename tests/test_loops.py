"""`appliance.loops.BackgroundLoop`, the base of the hub's loop threads: a wake runs a pass at once,
stop ends the thread within its deadline (a blocked pass is interrupted), and a failing pass is
logged and retried or ends the loop, as the loop's error policy says. No hub, no adb, no phone.
"""

from __future__ import annotations

import logging
import threading

import pytest

from appliance.loops import BackgroundLoop
from tests.fixtures import wait_for


def test_a_wake_runs_a_pass_now_and_stop_ends_the_thread():
    passes: list[int] = []
    loop = BackgroundLoop("test-loop", lambda: passes.append(1))   # None: wait until woken
    loop.start()
    wait_for(lambda: len(passes) == 1, 5, message="the first pass")
    loop.wake()
    wait_for(lambda: len(passes) == 2, 5, message="the woken pass")
    assert loop.stop(timeout=5) is True
    assert not loop.alive()
    assert [t for t in threading.enumerate() if t.name == "test-loop"] == []


def test_stop_interrupts_a_pass_blocked_outside_the_wait():
    release = threading.Event()
    entered = threading.Event()

    def blocked() -> float:
        entered.set()
        release.wait(30)
        return 0.0

    loop = BackgroundLoop("test-blocked", blocked, interrupt=release.set)
    loop.start()
    assert entered.wait(5)
    assert loop.stop(timeout=5) is True


def test_a_loop_that_outlives_its_deadline_is_reported(caplog):
    release = threading.Event()
    loop = BackgroundLoop("test-stuck", lambda: release.wait(30) and None)
    loop.start()
    try:
        with caplog.at_level(logging.WARNING, "appliance.loops"):
            assert loop.stop(timeout=0.1) is False
        assert "test-stuck did not stop within" in caplog.text
    finally:
        release.set()
        wait_for(lambda: not loop.alive(), 5, message="the stuck loop to end")


@pytest.mark.parametrize("policy", ["continue", "stop"])
def test_a_failing_pass_is_logged_then_retried_or_ends_the_loop(policy, caplog):
    calls: list[int] = []

    def failing() -> float:
        calls.append(1)
        raise RuntimeError("boom")

    loop = BackgroundLoop("test-failing", failing, on_error=policy, retry_after=0.01)
    with caplog.at_level(logging.ERROR, "appliance.loops"):
        loop.start()
        if policy == "continue":
            wait_for(lambda: len(calls) >= 3, 5, message="retried passes")
            assert loop.alive()
        else:
            wait_for(lambda: not loop.alive(), 5, message="the loop to end")
            assert len(calls) == 1
    loop.stop(timeout=5)
    assert "test-failing: a pass failed" in caplog.text and "boom" in caplog.text


def test_wait_first_waits_an_interval_before_the_first_pass_and_restart_works():
    passes: list[int] = []
    loop = BackgroundLoop("test-interval", lambda: passes.append(1) or 0.01, interval=30,
                          wait_first=True)
    loop.start()
    assert passes == []            # waiting its 30 s; a wake ends the wait early
    loop.wake()
    wait_for(lambda: len(passes) >= 2, 5, message="passes every 10 ms after the first")
    assert loop.stop(timeout=5)
    loop.start()                   # after a stop, start runs a new thread
    assert loop.alive()
    assert loop.stop(timeout=5)
