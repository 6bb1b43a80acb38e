"""The client layer against simulated phones through a real adb server the manager owns:
exit status, quoting, binary output, files, deadlines on a stalled phone, lost phones, cancel."""

import hashlib
import os
import threading
import time

import pytest

from appliance.devices import quote
from appliance.devices.client import DeviceClient
from appliance.errors import (
    AdbServerDown,
    Cancelled,
    DeviceCommandFailed,
    DeviceLost,
    DeviceNotFound,
    DeviceOffline,
    DeviceTimeout,
)
from tests.fixtures import free_port, wait_until

from .pngcheck import decode_png

# Every shell metacharacter, both quotes, newlines, tabs, unicode and emoji; no backslash,
# because the phone's `echo` (like dash's) reads backslash escapes itself: see the printf test.
NASTY_ECHO = ("a'b\"c`d$(id)${HOME}$HOME ;|&<>(){}[]*?~!#%^=,\t tab\nnew line\r\n"
              "ünïcødé 中文 🙂 '' \"\" -- end")
NASTY_PRINTF = NASTY_ECHO + r" back\slash \n \\ \'"


@pytest.fixture
def phones(sim_farm, make_manager):
    """(manager, farm) with 3 simulated phones connected and online."""
    farm = sim_farm(3)
    manager = make_manager()
    for phone in farm.phones:
        manager.client.connect(phone.address)
    for phone in farm.phones:
        wait_until(lambda address=phone.address: manager.tracker.usable(address), 5)
    return manager, farm


def test_shell_returns_output_and_exit_status(phones):
    manager, farm = phones
    serial = farm.phones[0].address
    assert manager.client.shell(serial, "echo hi; false") == ("hi\n", 1)
    assert manager.client.shell(serial, "printf no-newline").output == "no-newline"
    result = manager.client.shell(serial, "no_such_command")
    assert result.status == 127 and "not found" in result.output


def test_exit_3_gives_status_3(phones):
    manager, farm = phones
    serial = farm.phones[0].address
    assert manager.client.shell(serial, "echo before; exit 3") == ("before\n", 3)
    assert manager.client.shell(serial, "echo ')' # unbalanced (").status == 0


def test_quoted_text_reaches_the_phone_byte_for_byte(phones):
    manager, farm = phones
    serial = farm.phones[1].address
    assert manager.client.shell(serial, "echo " + quote(NASTY_ECHO)).output == NASTY_ECHO + "\n"
    assert manager.client.shell(serial, "printf %s " + quote(NASTY_PRINTF)).output == NASTY_PRINTF


def test_screenshot_is_a_png_that_decodes(phones):
    manager, farm = phones
    width, height = decode_png(manager.client.screenshot(farm.phones[0].address))
    assert width > 0 and height > 0


def test_push_and_pull_round_trip_with_size_checks(phones, tmp_path):
    manager, farm = phones
    serial = farm.phones[2].address
    source = tmp_path / "clip.mp4"
    source.write_bytes(os.urandom(300_000))
    assert manager.client.push(serial, source, "/sdcard/clip.mp4") == 300_000
    back = tmp_path / "back.mp4"
    assert manager.client.pull(serial, "/sdcard/clip.mp4", back) == 300_000
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()
    with pytest.raises(DeviceCommandFailed):
        manager.client.pull(serial, "/sdcard/missing.bin", tmp_path / "missing.bin")
    assert not (tmp_path / "missing.bin").exists()


def test_a_stalled_phone_times_out_every_call_and_does_not_slow_the_others(phones, tmp_path):
    manager, farm = phones
    stalled, healthy = farm.phones[0], farm.phones[1]
    stalled.set_fault("stall")
    (tmp_path / "f").write_bytes(b"x" * 1000)
    calls = [
        lambda: manager.client.shell(stalled.address, "echo hi", timeout=1),
        lambda: manager.client.screenshot(stalled.address, timeout=1),
        lambda: manager.client.push(stalled.address, tmp_path / "f", "/sdcard/f", timeout=1),
        lambda: manager.client.pull(stalled.address, "/sdcard/f", tmp_path / "g", timeout=1),
    ]
    done_on_healthy = []
    stop = threading.Event()

    def other_phone():
        while not stop.is_set():
            assert manager.client.shell(healthy.address, "echo ok", timeout=5).output == "ok\n"
            done_on_healthy.append(1)

    worker = threading.Thread(target=other_phone)
    worker.start()
    try:
        for call in calls:
            started = time.monotonic()
            with pytest.raises(DeviceTimeout):
                call()
            assert time.monotonic() - started < 1 + 0.5, "a call outlived its deadline"
    finally:
        stop.set()
        worker.join()
    # while four calls sat on the stalled phone, the other phone kept answering
    assert len(done_on_healthy) > 20


def test_a_phone_unplugged_mid_command_raises_device_lost(phones):
    manager, farm = phones
    phone = farm.phones[2]
    errors = []

    def run():
        try:
            manager.client.shell(phone.address, "sleep 5; echo done", timeout=10)
        except Exception as exc:  # recorded for the assert below
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    wait_until(lambda: any("sleep 5" in line for line in phone.command_log), 5)
    phone.set_fault("unplug")
    worker.join(10)
    assert len(errors) == 1 and isinstance(errors[0], DeviceLost), errors
    with pytest.raises(DeviceOffline):   # known to the tracker, not attached now
        wait_until(lambda: manager.tracker.get(phone.address).state != "device", 5)
        manager.client.shell(phone.address, "echo hi")


def test_cancel_aborts_the_call_in_flight(phones):
    manager, farm = phones
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    with pytest.raises(Cancelled):
        manager.client.shell(farm.phones[0].address, "sleep 5", timeout=10, cancel=cancel)


def test_unknown_phone_and_dead_server_are_typed_errors(phones):
    manager, _farm = phones
    with pytest.raises(DeviceNotFound):
        manager.client.shell("NO_SUCH_PHONE", "echo hi")
    with pytest.raises(AdbServerDown):
        DeviceClient("127.0.0.1", free_port(), 2).shell("X", "echo hi")
