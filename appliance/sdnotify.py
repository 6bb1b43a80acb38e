"""A tiny sd_notify client: tells systemd (Type=notify) that the hub is ready, alive, stopping.

Without NOTIFY_SOCKET every call is a no-op, so `appliance serve` calls these unconditionally.
`ready()`/`stopping()` run on the main thread; `start_watchdog()` owns one daemon thread that
pings at WATCHDOG_USEC/2 while its `healthy()` callback says so.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping

from appliance.loops import BackgroundLoop

log = logging.getLogger(__name__)


def _address(env: Mapping[str, str]) -> str | None:
    path = env.get("NOTIFY_SOCKET")
    if not path or path[0] not in "/@":
        return None
    # '@' marks Linux's abstract namespace, spelled with a leading NUL on the wire.
    return "\0" + path[1:] if path[0] == "@" else path


def notify(message: str, env: Mapping[str, str] | None = None) -> bool:
    """Send one datagram such as "READY=1"; False (never an exception) when nobody listens."""
    address = _address(os.environ if env is None else env)
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
        return True
    except OSError as exc:
        # systemd went away or the socket is not ours: the hub must keep serving regardless.
        log.debug("sd_notify %r failed: %s", message, exc)
        return False


def ready(status: str | None = None, env: Mapping[str, str] | None = None) -> bool:
    """READY=1. No MAINPID: in a onefile binary the unit's main pid must stay the bootloader,
    which forwards SIGTERM and exits with our code (NotifyAccess=all lets us, the child, send)."""
    lines = ["READY=1"]
    if status:
        lines.append(f"STATUS={status}")
    return notify("\n".join(lines), env)


def stopping(env: Mapping[str, str] | None = None) -> bool:
    return notify("STOPPING=1", env)


def status(text: str, env: Mapping[str, str] | None = None) -> bool:
    return notify(f"STATUS={text}", env)


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds between pings (half of WATCHDOG_USEC), or None when systemd wants none."""
    env = os.environ if env is None else env
    if _address(env) is None:
        return None
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID")
    # A PyInstaller onefile binary is a bootloader parent (the unit's main pid) plus this child.
    if pid and pid not in (str(os.getpid()), str(os.getppid())):
        return None
    return usec / 2e6 if usec > 0 else None


class Watchdog:
    """Pings WATCHDOG=1 every `interval` seconds while `healthy()` is true; its own thread."""

    def __init__(self, interval: float, healthy: Callable[[], bool], env: Mapping[str, str] | None = None):
        self.interval = interval
        self._healthy = healthy
        self._env = dict(os.environ if env is None else env)
        self._loop = BackgroundLoop("sd-watchdog", self._ping)

    def start(self) -> Watchdog:
        self._loop.start()
        return self

    def stop(self) -> None:
        self._loop.stop(timeout=5)

    def _ping(self) -> float:
        try:
            alive = self._healthy()
        except Exception:  # a crashing health check is unhealthy, not a dead thread
            log.exception("health check for the systemd watchdog failed")
            alive = False
        if alive:
            notify("WATCHDOG=1", self._env)
        # Unhealthy: stay silent, and systemd restarts the unit after WatchdogSec.
        return self.interval


def start_watchdog(healthy: Callable[[], bool] = lambda: True,
                   env: Mapping[str, str] | None = None) -> Watchdog | None:
    """Start pinging if systemd asked for a watchdog; None (nothing started) otherwise."""
    interval = watchdog_interval(env)
    if interval is None:
        return None
    return Watchdog(interval, healthy, env).start()
