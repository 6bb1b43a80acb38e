"""Stopping the devices layer leaves nothing behind: no thread with an `adb connect` in flight to
a phone that never answers, and no adb server child that a restart started as the hub stopped."""

from __future__ import annotations

import socket
import threading

from appliance.devices.manager import DeviceManager
from tests.fixtures import MemoryStore, devices_config, free_port


def test_stop_with_a_reconnect_in_flight_leaves_no_thread(tmp_path):
    silent = socket.socket()
    silent.bind(("127.0.0.1", free_port()))
    silent.listen()
    silent.settimeout(15)
    store = MemoryStore()
    store.meta.set("tcp_devices", [f"127.0.0.1:{silent.getsockname()[1]}"])
    before = set(threading.enumerate())
    manager = DeviceManager(devices_config(tmp_path), store)
    manager.start()                      # reconnects the remembered address at once
    try:
        conn, _ = silent.accept()        # the adb server is connecting: the call is in flight
    finally:
        manager.stop()
    try:
        left = [t.name for t in threading.enumerate()
                if t not in before and t.is_alive() and t.name != "adb-deadlines"]
        assert left == []                # adb-deadlines: one per process, only shuts sockets
    finally:
        conn.close()
        silent.close()


def test_stop_while_the_supervisor_restarts_the_server_leaves_no_server(tmp_path, monkeypatch):
    import os
    import signal
    import subprocess

    from appliance.devices import server as server_module
    from appliance.devices.server import AdbServer
    from tests.fixtures import wait_until

    adb = AdbServer("/usr/bin/adb", free_port(), tmp_path)
    adb.start()
    spawned = []
    real_popen = subprocess.Popen

    def popen_until_stopping(*args, **kw):
        proc = real_popen(*args, **kw)   # the restart's new server...
        spawned.append(proc)
        wait_until(lambda: adb._stop.is_set(), 10)   # ...comes up just as the hub stops
        return proc

    monkeypatch.setattr(server_module.subprocess, "Popen", popen_until_stopping)
    os.kill(adb.pid, signal.SIGKILL)
    wait_until(lambda: spawned, 10)
    stopper = threading.Thread(target=adb.stop)
    stopper.start()
    stopper.join(30)
    try:
        wait_until(lambda: spawned[0].poll() is not None, 10)   # no adb server orphaned
        assert not stopper.is_alive() and not adb._loop.alive()
    finally:
        if spawned and spawned[0].poll() is None:
            spawned[0].kill()
            spawned[0].wait()
