"""`appliance.loops.BackgroundLoop`, the base of the hub's loop threads: a wake runs a pass at once,
stop ends the thread within its deadline (a blocked pass is interrupted), and a failing pass is
logged and retried or ends the loop, as the loop's error policy says; a loop whose stop timed out
is not started beside its old thread. No hub and no phone; the last test starts one adb server.
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


def test_start_refuses_while_a_timed_out_stop_left_the_old_thread_running(caplog):
    release = threading.Event()
    passes: list[int] = []

    def stuck() -> None:
        passes.append(1)
        release.wait(30)

    loop = BackgroundLoop("test-half-stopped", stuck)
    assert loop.start() is True
    assert loop.start() is False                 # already running: one thread, no warning
    wait_for(lambda: passes, 5, message="the first pass")
    try:
        assert loop.stop(timeout=0.1) is False
        with caplog.at_level(logging.WARNING, "appliance.loops"):
            assert loop.start() is False
        assert "test-half-stopped is still stopping" in caplog.text
        assert loop.stopping.is_set()            # the old thread still ends after its pass
    finally:
        release.set()
    wait_for(lambda: not loop.alive(), 5, message="the old thread to end")
    assert passes == [1]
    assert loop.start() is True                  # a new thread once the old one is gone
    wait_for(lambda: len(passes) == 2, 5, message="the new thread's pass")
    assert loop.stop(timeout=5)


@pytest.mark.phones   # starts a real adb server
def test_the_adb_server_is_not_restarted_beside_a_supervisor_still_stopping(tmp_path):
    import os
    import signal

    from appliance.devices.server import AdbServer
    from appliance.errors import AdbServerDown
    from tests.fixtures import ADB_PATH, free_port

    release = threading.Event()
    in_callback = threading.Event()

    def slow_callback() -> None:            # the supervisor's after-restart callback hangs
        in_callback.set()
        release.wait(30)

    adb = AdbServer(ADB_PATH, free_port(), tmp_path, on_restart=slow_callback)
    adb.start()
    try:
        os.kill(adb.pid, signal.SIGKILL)
        assert in_callback.wait(20)          # restarted, and stuck in the callback
        adb.stop(timeout=0.2)                # times out on the supervisor; the server is ended
        with pytest.raises(AdbServerDown, match="still ending"):
            adb.start()
        assert adb.pid is None               # no server beside the old supervisor...
        release.set()
        wait_for(lambda: not adb._loop.alive(), 5, message="the old supervisor to end")
        assert adb.restarts == 1             # ...which ended after its pass, restarting nothing
        adb.start()                          # then the hub starts again
        assert adb.running and adb._loop.alive()
    finally:
        release.set()
        adb.stop()
