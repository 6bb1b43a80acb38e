"""Faults switched at run time, as the real adb server and ppadb report them."""

from __future__ import annotations

import subprocess
import time

import pytest
from ppadb.client import Client

from tests.fixtures import wait_for

PKG = "com.zhiliaoapp.musically"


@pytest.fixture
def phones(sim_farm, connected_phones):
    farm = sim_farm(2, seed=11)
    connected_phones(farm.phones)
    return farm.phones


def reattach(server, phone, timeout: float = 20.0):
    """disconnect + connect until the phone is `device` (the server's own retry races with ours)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            server.disconnect(phone.address)
        except RuntimeError:
            pass  # not listed any more
        server.connect(phone.address)
        try:
            wait_for(lambda: server.states().get(phone.address) == "device", 3, message="device again")
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def test_unplug_takes_the_phone_offline_until_plugged_back(adb_server, phones):
    phone, other = phones
    phone.set_fault("unplug")
    wait_for(lambda: adb_server.states().get(phone.address) != "device", 10, message="phone to drop")
    result = adb_server.run("-s", phone.address, "shell", "echo hi", timeout=15)
    assert result.returncode != 0 and "offline" in result.stderr + result.stdout
    with pytest.raises(RuntimeError, match=r"offline|not found"):
        Client("127.0.0.1", adb_server.port).device(phone.address).shell("echo hi", timeout=5)
    assert "failed to connect" in adb_server.connect(phone.address)
    assert adb_server.run("-s", other.address, "shell", "echo fine").stdout == "fine\n"
    phone.set_fault("unplug", on=False)
    reattach(adb_server, phone)
    assert adb_server.run("-s", phone.address, "shell", "echo back").stdout == "back\n"


def test_unauthorized_phone_never_becomes_a_device(adb_server, sim_farm, connected_phones):
    phone = sim_farm(1).phones[0]
    phone.set_fault("unauthorized")
    answer = adb_server.connect(phone.address)
    assert "failed to authenticate" in answer
    wait_for(lambda: adb_server.states().get(phone.address) in ("unauthorized", "authorizing"), 10,
             message="unauthorized state")
    result = adb_server.run("-s", phone.address, "shell", "echo hi", timeout=15)
    assert result.returncode != 0 and "unauthorized" in result.stderr
    with pytest.raises(RuntimeError, match="unauthorized"):
        Client("127.0.0.1", adb_server.port).device(phone.address).shell("echo hi")
    phone.set_fault("unauthorized", on=False)  # the user taps "Allow" on the phone
    wait_for(lambda: adb_server.states().get(phone.address) == "device", 10, message="authorized")
    assert adb_server.run("-s", phone.address, "shell", "echo allowed").stdout == "allowed\n"
    adb_server.disconnect(phone.address)


def test_revoking_authorization_drops_a_connected_phone(adb_server, phones):
    phone = phones[0]
    phone.set_fault("unauthorized")
    wait_for(lambda: adb_server.states().get(phone.address) != "device", 10, message="phone dropped")
    phone.set_fault("unauthorized", on=False)


def test_stalled_phone_keeps_the_socket_but_never_answers(adb_server, phones):
    phone = phones[0]
    phone.set_fault("stall")
    with pytest.raises(subprocess.TimeoutExpired):
        adb_server.run("-s", phone.address, "shell", "echo hi", timeout=1.5)
    with pytest.raises(TimeoutError):
        Client("127.0.0.1", adb_server.port).device(phone.address).shell("echo hi", timeout=1)
    assert adb_server.states().get(phone.address) == "device"  # the server cannot tell
    phone.set_fault("stall", on=False)
    assert adb_server.run("-s", phone.address, "shell", "echo awake", timeout=10).stdout == "awake\n"


def test_slow_phone_adds_latency_to_every_command(adb_server, phones):
    phone = phones[0]
    phone.set_fault("slow", latency=0.4)
    started = time.monotonic()
    assert adb_server.run("-s", phone.address, "shell", "echo slow").stdout == "slow\n"
    assert time.monotonic() - started >= 0.4  # a lower bound: the phone waited before answering
    phone.set_fault("slow", on=False)
    assert phone.command_latency() == 0


def test_hot_battery_shows_in_dumpsys(adb_server, phones):
    phone = phones[0]
    phone.set_fault("hot", temperature=55.5)
    assert "  temperature: 555" in adb_server.run("-s", phone.address, "shell", "dumpsys battery").stdout
    phone.set_fault("hot", on=False)
    assert "  temperature: 555" not in adb_server.run("-s", phone.address, "shell", "dumpsys battery").stdout


def test_app_crash_returns_to_the_launcher(adb_server, phones):
    phone = phones[0]
    adb_server.run("-s", phone.address, "shell", f"monkey -p {PKG} 1")
    assert PKG in adb_server.run("-s", phone.address, "shell", "dumpsys window").stdout
    phone.set_fault("crash")
    assert PKG not in adb_server.run("-s", phone.address, "shell", "dumpsys window").stdout


def test_unknown_fault_is_refused(phones):
    with pytest.raises(ValueError, match="unplug"):
        phones[0].set_fault("on-fire")
