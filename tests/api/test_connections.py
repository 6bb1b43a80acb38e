"""Connections on a real port: one address cannot starve the others; slow and idle ones are dropped.

Attacking sockets bind 127.0.0.2 (Linux routes all of 127/8 to loopback) so the hub sees them as
another address than the well-behaved client on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import resource
import socket
import time
from contextlib import closing, contextmanager

import pytest

from appliance.api.app import create_app
from appliance.api.server import HubServer
from appliance.services import build_services
from tests.fixtures import wait_for
from tests.hubkit import call, hub_config

ATTACKER = "127.0.0.2"
PARTIAL = b"GET /api/v1/task/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n"   # no blank line: never ends


@contextmanager
def serving(tmp_path, **limits):
    """The real app (adb off) behind a HubServer on a free port of 127.0.0.1."""
    services = build_services(hub_config(tmp_path))
    server = HubServer(create_app(services), "127.0.0.1", 0, **limits)
    server.start()
    try:
        yield server
    finally:
        server.stop(1)
        services.close()


def stats_ok(server) -> bool:
    status, body = call(f"http://127.0.0.1:{server.port}/api/v1", "GET", "/task/stats", timeout=5)
    return status == 200 and body["code"] == 0


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket()
    sock.settimeout(10)
    try:
        sock.bind((source, 0))
    except OSError as exc:
        sock.close()
        pytest.skip(f"cannot bind {source} as a second loopback address: {exc}")
    sock.connect(("127.0.0.1", port))
    return sock


def half_open(port: int) -> socket.socket:
    """A connection from the attacker's address that starts a request and holds it."""
    sock = connect(port, ATTACKER)
    try:
        sock.sendall(PARTIAL)
    except OSError:
        pass  # the hub closed it already
    sock.setblocking(False)
    return sock


def closed(sock: socket.socket) -> bool:
    """The hub closed this connection (checked without blocking or consuming data)."""
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def wait_until(condition, timeout: float, what: str) -> None:
    wait_for(condition, timeout, interval=0.05, message=what)


def raise_open_files_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"this test holds {needed} sockets; the open-files hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


@pytest.mark.phones   # starts a hub
def test_two_thousand_half_open_connections_from_one_address_do_not_stop_the_api(tmp_path):
    raise_open_files_limit(4096)
    # Long deadlines: what holds here is the per-address cap, not a timeout.
    with serving(tmp_path, idle_timeout=300, request_timeout=300) as server:
        attackers = []
        try:
            for _ in range(2000):
                attackers.append(half_open(server.port))
            # The hub keeps 32 (connections_per_address) and closes the rest at accept.
            wait_until(lambda: sum(not closed(s) for s in attackers) == 32, 60,
                       "all but 32 of the attacker's connections closed")
            for _ in range(20):
                assert stats_ok(server)
            assert sum(not closed(s) for s in attackers) == 32
        finally:
            for sock in attackers:
                sock.close()


@pytest.mark.phones   # starts a hub
def test_an_address_at_its_cap_gets_new_connections_again_once_one_closes(tmp_path):
    with serving(tmp_path, connections_per_address=4) as server:
        held = [half_open(server.port) for _ in range(6)]
        try:
            wait_until(lambda: [closed(s) for s in held] == [False] * 4 + [True] * 2, 30,
                       "the 5th and 6th connections closed, the first 4 kept")
            assert stats_ok(server)   # another address is not affected
            for sock in held[:4]:     # the kept ones finish their request and are answered
                sock.setblocking(True)
                sock.sendall(b"Connection: close\r\n\r\n")
                assert b'"code":0' in sock.makefile("rb").read()
        finally:
            for sock in held:
                sock.close()
        again = connect(server.port, ATTACKER)
        with again:
            again.sendall(PARTIAL + b"Connection: close\r\n\r\n")
            assert b'"code":0' in again.makefile("rb").read()


@pytest.mark.phones   # starts a hub
def test_a_trickling_sender_is_dropped_after_request_timeout(tmp_path):
    with serving(tmp_path, request_timeout=2, idle_timeout=60) as server, connect(server.port) as sock:
        sock.sendall(b"GET /api/v1/task/stats HTTP/1.1\r\nX-Slow: ")
        sock.setblocking(False)
        deadline = time.monotonic() + 2 + 15
        while not closed(sock):
            assert time.monotonic() < deadline, "a trickling sender was never dropped"
            try:
                sock.send(b"a")   # one byte every 0.5 s: each one is activity
            except OSError:
                break
            time.sleep(0.5)   # the thing under test: a deliberately slow (trickling) client


@pytest.mark.phones   # starts a hub
def test_a_request_sent_in_pieces_within_request_timeout_is_served(tmp_path):
    with serving(tmp_path, request_timeout=5, idle_timeout=60) as server, connect(server.port) as sock:
        for piece in (b"GET /api/v1/task/stats HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n",
                      b"Connection: close\r\n\r\n"):
            sock.sendall(piece)
            time.sleep(0.2)   # the thing under test: a slow client sends its request in pieces
        assert b'"code":0' in sock.makefile("rb").read()


@pytest.mark.phones   # starts a hub
def test_idle_connections_are_closed_after_idle_timeout(tmp_path):
    with serving(tmp_path, idle_timeout=1, request_timeout=60) as server:
        used = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        with connect(server.port) as silent, closing(used):
            used.request("GET", "/api/v1/task/stats")
            assert json.loads(used.getresponse().read())["code"] == 0   # kept alive after it
            silent.setblocking(False)
            used.sock.setblocking(False)
            wait_until(lambda: closed(silent) and closed(used.sock), 15, "idle connections closed")
