"""`ScriptContext`: what a running script may touch — its phone, its config, its log, its stop flag.

Created by the engine's runner for one task and used only by that task's worker thread (the
engine's loop thread only sets `cancel`). Every phone call goes through `shell`, which passes
the cancellation event down so a stop aborts the adb call in flight.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from appliance.devices.protocols import PhoneClient


class TaskCancelled(Exception):
    """The task was stopped (by a user, shutdown, a lost phone or its deadline): `reason` is the
    remark it ends with. Scripts must let it propagate."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ScriptContext:
    def __init__(self, *, task: dict, config: dict, client: PhoneClient, log: Callable[[str, str], None],
                 cancel: threading.Event, deadline: float, rng: random.Random,
                 reason: Callable[[], str] = lambda: "stopped", shell_timeout: float = 30.0):
        self.task = task
        self.task_id: int = task["id"]
        self.serial: str = task["serial"]
        self.username: str | None = task.get("username")
        self.config = config
        self.client = client
        self.cancel = cancel
        self.deadline = deadline          # time.monotonic() value
        self.random = rng
        self._log = log
        self._reason = reason
        self._shell_timeout = shell_timeout

    # --- logging --------------------------------------------------------------------------

    def log(self, message: str, level: str = "info") -> None:
        self._log(level, message)

    def warn(self, message: str) -> None:
        self._log("warning", message)

    # --- cancellation and time ------------------------------------------------------------

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def check(self) -> None:
        """Raise TaskCancelled if the task was stopped or ran past its deadline."""
        if self.cancel.is_set():
            raise TaskCancelled(self._reason())
        if self.remaining() <= 0:
            raise TaskCancelled("timed out")

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`, returning early (TaskCancelled) when the task is stopped."""
        self.check()
        if seconds > 0:
            self.cancel.wait(min(seconds, max(0.0, self.remaining())))
        self.check()

    # --- the phone ------------------------------------------------------------------------

    def shell(self, command: str, timeout: float | None = None) -> str:
        """Run `command` on the task's phone and return its output. The command must already be
        quoted (appliance.devices.quote for every untrusted word). Raises TaskCancelled when the
        task is stopped meanwhile, and the devices layer's errors (DeviceLost, ...) otherwise."""
        self.check()
        limit = min(timeout or self._shell_timeout, max(0.1, self.remaining()))
        try:
            result = self.client.shell(self.serial, command, timeout=limit, cancel=self.cancel)
        except Exception:
            # An aborted call surfaces as whatever the devices layer raises; the stop is the news.
            self.check()
            raise
        self.check()
        return result.output
