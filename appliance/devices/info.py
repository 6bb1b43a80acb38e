"""What the hub knows and shows of one phone: `DeviceInfo`, its states, and why it gets no tasks.

Pure data: the tracker holds one DeviceInfo per serial and hands out copies (any thread reads
them). `usable` says whether the phone gets tasks and `unusable_reason` why not, in words an
operator acts on; `held` is the hub's own part of that (quarantine, a hold, resting hot).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from appliance.devices.health import ADB_KEYBOARD, ADB_KEYBOARD_IME

# "stalled": adb lists the phone as a device but it answers nothing (the health check said so).
STATES = ("device", "stalled", "offline", "unauthorized", "absent", "unknown")
PREPARING = "see README, 'Preparing a phone'"
STALLED = ("the phone has not answered adb{since} (it is listed, but its commands get no answer): "
           "the hub checks it every few seconds and gives it tasks again once it answers; if it "
           "stays so, unlock it, check its cable or Wi-Fi, or reboot it")
STATE_REASONS = {
    "stalled": STALLED.format(since=""),
    "offline": "the phone is offline: check its cable or Wi-Fi and that USB debugging is still on "
               "(a TCP phone is reconnected by the hub once it answers)",
    "absent": "the phone is not connected to the hub: plug it in, or "
              "`appliance devices connect HOST:PORT` for a phone on Wi-Fi",
    "unauthorized": "the phone has not accepted this hub's adb key (RSA): unlock it and tap "
                    "\"Always allow from this computer\" on the USB debugging prompt "
                    f"({PREPARING})",
    "unknown": "the hub is re-syncing with its adb server: wait a few seconds",
}


def normalize(adb_state: str) -> str:
    """adb's many states -> those the hub shows (the raw one stays in `adb_state`); "stalled"
    comes from the health check, never from adb."""
    if adb_state == "device":
        return "device"
    if adb_state in ("unauthorized", "authorizing"):
        return "unauthorized"
    return "offline"  # offline, connecting, bootloader, recovery, sideload, no permissions, host


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).astimezone().isoformat(timespec="seconds")


def _clock(ts: float) -> str:
    """A moment in an operator's sentence: the hub's local time of day."""
    return datetime.fromtimestamp(ts).strftime("%H:%M:%S")


@dataclass
class DeviceInfo:
    serial: str
    state: str
    adb_state: str
    first_seen: float
    last_seen: float
    changed_at: float
    hot: bool = False
    quarantined: str | None = None      # the reason, while quarantined
    health: dict[str, Any] = field(default_factory=dict)
    stalled_since: float | None = None  # when the health check that got no answer began
    hold_reason: str | None = None      # the engine's hold: its last task there lost the phone
    hold_until: float | None = None

    @property
    def transport(self) -> str:
        return "tcp" if ":" in self.serial else "usb"

    @property
    def app_missing(self) -> bool:
        """The last health check found the app not installed (not checked yet: False)."""
        return (self.health.get("app") or {}).get("installed") is False

    @property
    def keyboard_missing(self) -> bool:
        return self.health.get("keyboard_installed") is False

    @property
    def usable(self) -> bool:
        return (self.state == "device" and not self.hot and not self.quarantined
                and self.hold_until is None and not self.app_missing and not self.keyboard_missing)

    def _hub_reasons(self) -> list[str]:
        """Why the hub itself keeps the phone from tasks, whatever its state."""
        reasons = []
        if self.quarantined:
            reasons.append(f"quarantined ({self.quarantined}): no new tasks until it is unplugged "
                           "and plugged back, or disconnected and connected again")
        if self.hold_until is not None:
            reasons.append(f"{self.hold_reason}: no new tasks until {_clock(self.hold_until)}, "
                           "or until it comes back sooner")
        if self.hot:
            temperature = self.health.get("temperature")
            reasons.append("the phone is hot" + (f" ({temperature:.1f} C)" if temperature is not None
                                                 else "") + ": it rests until it has cooled down "
                           "(cool_temperature)")
        return reasons

    @property
    def held(self) -> dict[str, Any] | None:
        """The hub's hold on the phone: {reason, until}; until is null unless the only hold
        has an end (a quarantine or a hot phone ends when something happens, not at a time)."""
        reasons = self._hub_reasons()
        if not reasons:
            return None
        timed = self.hold_until is not None and len(reasons) == 1
        return {"reason": "; ".join(reasons), "until": iso(self.hold_until) if timed else None}

    @property
    def unusable_reason(self) -> str | None:
        """Why the phone gets no tasks, with what to do; None while it is usable."""
        if self.state == "stalled" and self.stalled_since is not None:
            return STALLED.format(since=f" since {_clock(self.stalled_since)}")
        if self.state != "device":
            return STATE_REASONS.get(self.state, f"the phone is {self.state}")
        reasons = self._hub_reasons()
        if self.app_missing:
            package = (self.health.get("app") or {}).get("package")
            reasons.append(f"TikTok ({package}) is not installed on this phone: install it from "
                           f"the Play Store ({PREPARING})")
        if self.keyboard_missing:
            reasons.append(f"the ADB keyboard ({ADB_KEYBOARD}) is not installed: adb install "
                           f"ADBKeyboard.apk, then `adb shell ime enable {ADB_KEYBOARD_IME}` "
                           "(see README)")
        return "; ".join(reasons) or None

    def to_dict(self) -> dict[str, Any]:
        """The API's device object (timestamps as ISO 8601 with offset). It shares `health` with
        the tracker, which replaces that dict and never changes it: read it, never write it."""
        out = {f.name: getattr(self, f.name) for f in fields(self)
               if f.name not in ("hold_reason", "hold_until")}   # shown as `held` with the rest
        out.update(transport=self.transport, usable=self.usable,
                   unusable_reason=self.unusable_reason, held=self.held,
                   first_seen=iso(self.first_seen), last_seen=iso(self.last_seen),
                   changed_at=iso(self.changed_at), stalled_since=iso(self.stalled_since))
        return out
