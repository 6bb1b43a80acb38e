"""The devices layer as the layers above see it: a phone client and a tracker (typing.Protocol).

The engine and services depend on these, not on `DeviceClient`/`DeviceTracker`, so a test can
pass a fake and mypy still follows a call from the API to the phone. No state, no threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from appliance.devices.info import DeviceInfo


class ShellOutput(Protocol):
    """What a shell call returns: the text the command wrote and its exit status."""

    @property
    def output(self) -> str: ...

    @property
    def status(self) -> int: ...


class PhoneClient(Protocol):
    """adb calls on one phone at a time (implemented by devices.client.DeviceClient)."""

    def shell(self, serial: str, command: str, timeout: float | None = None,
              cancel: threading.Event | None = None) -> ShellOutput: ...

    def shell_bytes(self, serial: str, command: str, timeout: float | None = None,
                    cancel: threading.Event | None = None, check: bool = True) -> bytes: ...

    def push(self, serial: str, local: Path | str, remote: str, timeout: float | None = None,
             cancel: threading.Event | None = None, mode: int = 0o644) -> int: ...

    def pull(self, serial: str, remote: str, local: Path | str, timeout: float | None = None,
             cancel: threading.Event | None = None) -> int: ...


class PhoneTracker(Protocol):
    """Which phones are present and usable (implemented by devices.tracker.DeviceTracker).

    The tracker owns the one quarantine and the holds: the engine asks it to keep a phone out
    of use, and it frees the phone when the phone comes back."""

    def get(self, serial: str) -> DeviceInfo | None: ...

    def usable(self, serial: str) -> bool: ...

    def usable_serials(self) -> set[str]: ...

    def subscribe(self, callback: Callable[[str, str], None]) -> Callable[[], None] | None:
        """Call `callback(serial, state)` on each change; returns the unsubscribe, if any."""

    def quarantine(self, serial: str, reason: str) -> None:
        """Keep `serial` out of use until it reconnects."""

    def hold(self, serial: str, reason: str, seconds: float) -> None:
        """Keep `serial` out of use for `seconds` (shown by GET /device)."""
