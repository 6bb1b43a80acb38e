"""Picking local TCP ports that an adb server will not mistake for an emulator.

An adb server probes 5555-5585 at start and attaches whatever answers there as `emulator-N`,
so the hub's own ports (demo adb server, simulated phones, tests, benches) avoid that range.
No state; any thread.
"""

from __future__ import annotations

import socket

ADB_PROBED_PORTS = range(5555, 5586)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on `host` right now, outside the adb-probed range."""
    while True:
        with socket.socket() as sock:
            sock.bind((host, 0))
            port: int = sock.getsockname()[1]
        if port not in ADB_PROBED_PORTS:
            return port
