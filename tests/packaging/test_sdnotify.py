"""sd_notify against a real AF_UNIX datagram socket, as systemd would listen on it."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from appliance import sdnotify


@pytest.fixture(params=["path", "abstract"])
def listener(request, tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if request.param == "path":
        name = str(tmp_path / "notify.sock")
        sock.bind(name)
    else:
        name = "@appliance-test-" + uuid.uuid4().hex
        sock.bind("\0" + name[1:])
    sock.settimeout(5)
    yield sock, {"NOTIFY_SOCKET": name}
    sock.close()


def receive(sock) -> str:
    return sock.recv(4096).decode()


def test_ready_and_stopping_reach_the_socket(listener):
    sock, env = listener
    assert sdnotify.ready(status="serving on 50809", env=env)
    message = receive(sock).split("\n")
    assert message[0] == "READY=1" and not any(m.startswith("MAINPID=") for m in message)
    assert "STATUS=serving on 50809" in message
    assert sdnotify.stopping(env=env)
    assert receive(sock) == "STOPPING=1"


def test_without_notify_socket_everything_is_a_no_op():
    assert sdnotify.ready(env={}) is False
    assert sdnotify.stopping(env={}) is False
    assert sdnotify.start_watchdog(env={}) is None
    assert sdnotify.start_watchdog(env={"NOTIFY_SOCKET": "/nonexistent/x", "WATCHDOG_USEC": ""}) is None


def test_a_vanished_socket_does_not_raise(tmp_path):
    assert sdnotify.ready(env={"NOTIFY_SOCKET": str(tmp_path / "gone.sock")}) is False


def test_watchdog_pings_at_half_the_interval_while_healthy(listener):
    sock, env = listener
    env = dict(env, WATCHDOG_USEC="100000", WATCHDOG_PID=str(os.getpid()))
    assert sdnotify.watchdog_interval(env) == pytest.approx(0.05)
    dog = sdnotify.start_watchdog(env=env)
    try:
        assert [receive(sock) for _ in range(3)] == ["WATCHDOG=1"] * 3
    finally:
        dog.stop()


def test_watchdog_goes_silent_while_unhealthy(listener):
    sock, env = listener
    env = dict(env, WATCHDOG_USEC="40000")
    healthy = {"now": False}
    dog = sdnotify.start_watchdog(lambda: healthy["now"], env=env)
    try:
        sock.settimeout(0.3)
        with pytest.raises(socket.timeout):
            sock.recv(4096)
        sock.settimeout(5)
        healthy["now"] = True
        assert receive(sock) == "WATCHDOG=1"
    finally:
        dog.stop()


def test_watchdog_meant_for_another_process_is_ignored(listener):
    _, env = listener
    other = dict(env, WATCHDOG_USEC="100000", WATCHDOG_PID="999999999")
    assert sdnotify.watchdog_interval(other) is None
    # The onefile bootloader (our parent) is the unit's main pid: the child must still ping.
    parent = dict(env, WATCHDOG_USEC="100000", WATCHDOG_PID=str(os.getppid()))
    assert sdnotify.watchdog_interval(parent) == pytest.approx(0.05)
