"""The emulated adbd as the real adb server and ppadb see it: connect, shell, devices -l, sync."""

from __future__ import annotations

import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from ppadb.client import Client

from tests.fixtures import wait_for


@pytest.fixture
def phone(sim_farm, connected_phones):
    farm = sim_farm(2, seed=7)
    connected_phones(farm.phones)
    return farm.phones[0]


@pytest.fixture
def big_file(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(5 * 1024 * 1024))
    return path


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_devices_lists_each_phone_with_its_model(adb_server, sim_farm, connected_phones):
    farm = sim_farm(2, seed=7)
    connected_phones(farm.phones)
    listing = adb_server.run("devices", "-l").stdout
    for phone in farm.phones:
        line = next(line for line in listing.splitlines() if line.startswith(phone.address))
        assert " device " in line
        assert "model:" + re.sub(r"[^A-Za-z0-9]", "_", phone.model) in line  # adb's own sanitizing


def test_shell_runs_commands_and_knows_its_serial(adb_server, phone):
    result = adb_server.run("-s", phone.address, "shell", "echo hi; getprop ro.serialno")
    assert result.stdout == f"hi\n{phone.serial}\n"
    assert phone.command_log[-1] == "echo hi; getprop ro.serialno"


def test_unknown_command_answers_like_toybox(adb_server, phone):
    result = adb_server.run("-s", phone.address, "shell", "frobnicate --now; echo status=$?")
    assert result.stdout == "sh: frobnicate: not found\nstatus=127\n"


def test_adb_push_and_pull_5mb_keep_the_checksum(adb_server, phone, big_file, tmp_path):
    pushed = adb_server.run("-s", phone.address, "push", str(big_file), "/sdcard/Download/")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    on_phone = adb_server.run("-s", phone.address, "shell", "sha256sum /sdcard/Download/big.bin").stdout
    assert on_phone.split()[0] == sha256(big_file)
    back = tmp_path / "back.bin"
    pulled = adb_server.run("-s", phone.address, "pull", "/sdcard/Download/big.bin", str(back))
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert sha256(back) == sha256(big_file)


def test_sync_errors_are_reported_by_adb(adb_server, phone, big_file, tmp_path):
    missing = adb_server.run("-s", phone.address, "pull", "/sdcard/nothing.mp4", str(tmp_path / "x"))
    assert missing.returncode == 1 and "does not exist" in missing.stdout + missing.stderr
    readonly = adb_server.run("-s", phone.address, "push", str(big_file), "/system/app.bin")
    assert readonly.returncode == 1 and "Read-only file system" in readonly.stdout + readonly.stderr


def test_adb_ls_lists_a_directory_over_sync(adb_server, phone):
    listing = adb_server.run("-s", phone.address, "ls", "/sdcard").stdout
    assert {"DCIM", "Download", "Pictures"} <= {line.split()[-1] for line in listing.splitlines()}


def test_ppadb_shell_push_pull_and_screencap(adb_server, phone, big_file, tmp_path):
    device = Client("127.0.0.1", adb_server.port).device(phone.address)
    assert device.shell("getprop ro.product.model") == phone.model + "\n"
    device.push(str(big_file), "/data/local/tmp/big.bin")
    back = tmp_path / "back.bin"
    device.pull("/data/local/tmp/big.bin", str(back))
    assert sha256(back) == sha256(big_file)
    png = bytes(device.screencap())
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png.endswith(b"IEND\xaeB`\x82")
    # The same bytes through the adb CLI's legacy shell: nothing may be mangled on the way.
    assert adb_server.run("-s", phone.address, "exec-out", "screencap -p", text=False).stdout == png
    assert adb_server.run("-s", phone.address, "shell", "screencap -p", text=False).stdout == png


def test_interactive_shell_runs_lines(adb_server, phone):
    lines = "echo one\ngetprop ro.serialno\nX=kept; cd /sdcard\necho $X; pwd\nexit\n"
    result = adb_server.run("-s", phone.address, "shell", input=lines)
    assert "one\n" in result.stdout and f"{phone.serial}\n" in result.stdout
    assert "kept\n/sdcard\n" in result.stdout  # one shell for the whole session


def test_reboot_drops_the_phone_and_it_comes_back(adb_server, sim_farm, connected_phones):
    phone = sim_farm(1, reboot_delay=0.3).phones[0]
    connected_phones([phone])
    adb_server.run("-s", phone.address, "reboot", timeout=10)
    wait_for(lambda: adb_server.states().get(phone.address) != "device", 10, message="phone to drop")
    # The server alone retries every ~10 s and answers "already connected" meanwhile; a
    # disconnect + connect re-attaches as soon as the phone listens again.
    adb_server.disconnect(phone.address)
    wait_for(lambda: "connected to" in adb_server.connect(phone.address), 10, interval=0.1,
             message="phone to accept connections again")
    wait_for(lambda: adb_server.states().get(phone.address) == "device", 10, message="phone back")
    assert adb_server.run("-s", phone.address, "shell", "getprop sys.boot_completed").stdout == "1\n"


def test_many_parallel_commands_and_transfers_on_one_phone(adb_server, phone, tmp_path):
    device = Client("127.0.0.1", adb_server.port).device(phone.address)
    payload = tmp_path / "m.bin"
    payload.write_bytes(os.urandom(300_000))

    def work(i: int) -> bool:
        if i % 10 == 0:
            device.push(str(payload), f"/sdcard/m{i}.bin")
            return device.shell(f"sha256sum /sdcard/m{i}.bin").split()[0] == sha256(payload)
        if i % 10 == 1:
            return bytes(device.screencap()).startswith(b"\x89PNG")
        return device.shell(f"echo {i}; sleep 0.01; getprop ro.serialno") == f"{i}\n{phone.serial}\n"

    with ThreadPoolExecutor(16) as pool:
        assert all(pool.map(work, range(200)))


def test_ppadb_helpers_parse_what_the_phone_prints(adb_server, phone, tmp_path):
    device = Client("127.0.0.1", adb_server.port).device(phone.address)
    assert "com.zhiliaoapp.musically" in device.list_packages()
    assert device.get_properties()["ro.serialno"] == phone.serial
    assert 0 <= device.get_battery_level() <= 100
    device.shell("monkey -p com.zhiliaoapp.musically 1")
    assert device.get_top_activity().package == "com.zhiliaoapp.musically"
    apk = tmp_path / "com.example.tool.apk"
    apk.write_bytes(b"PK\x03\x04 not really an apk")
    assert device.install(str(apk)) is True
    assert device.is_installed("com.example.tool")
