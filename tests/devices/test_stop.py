"""DeviceManager.stop leaves no thread of its own behind, even with an `adb connect` in flight
to a phone that accepts TCP and never answers (a reconnect worker would otherwise outlive the
hub's stop, and the store it remembers phones in)."""

from __future__ import annotations

import socket
import threading

from appliance.devices.manager import DeviceManager
from tests.conftest import free_port

from .conftest import MemoryStore, devices_config


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
