"""The device use cases behind `/device` routes and the `devices` CLI: list, get, connect,
disconnect, screenshot, UI hierarchy (uiautomator dump), reboot and (when the config allows it)
an operator's shell command.

Request threads call it; it holds the DeviceManager (started by `Services.start()`) and validates
every input before it reaches adb: serials by pattern, addresses as strict host:port.
"""

from __future__ import annotations

import ipaddress
import re
import time
from typing import TYPE_CHECKING, Any

from appliance.devices.client import DeviceClient
from appliance.devices.info import DeviceInfo
from appliance.devices.manager import DeviceManager
from appliance.devices.ports import free_port
from appliance.devices.tracker import STATES, DeviceTracker
from appliance.devices.uidump import dump_ui
from appliance.errors import (
    DeviceCommandFailed,
    DeviceNotFound,
    DeviceUnauthorized,
    FeatureDisabled,
    InvalidParams,
    ScreenNotIdle,
)
from appliance.services.groups import GroupService

if TYPE_CHECKING:
    from appliance.config import Config
    from appliance.storage import Store

SERIAL_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOSTNAME_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
DEVICE_STATES = STATES   # the states a device can be in (the API's enum)
CONNECT_WAIT = 2.0   # how long connect waits for the tracker to list the phone
SHELL_MAX_OUTPUT = 4 << 20   # bytes an operator's command may print into one answer
DUMP_ATTEMPTS = 4            # `uiautomator dump` tries while the screen is not idle (facts §4.1)
DUMP_RETRY_GAP = 0.3         # seconds between those tries


def parse_address(address: object) -> str:
    """`host:port` checked strictly (IPv4 or a DNS name, port 1-65535); returns it normalized."""
    if not isinstance(address, str) or len(address) > 260:
        raise InvalidParams("Invalid parameter address: give it as host:port, e.g. 192.168.1.20:5555.",
                            data={"field": "address"})
    host, sep, port = address.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or port != str(int(port)) or not 0 < int(port) < 65536:
        raise InvalidParams(f"Invalid parameter address: {address!r} is not host:port "
                            "(port 1-65535), e.g. 192.168.1.20:5555.", data={"field": "address"})
    try:
        ip = ipaddress.ip_address(host)
        if ip.version != 4:
            raise ValueError
        host = str(ip)
    except ValueError:
        if not HOSTNAME_RE.fullmatch(host) or len(host) > 253 or host.replace(".", "").isdigit():
            raise InvalidParams(f"Invalid parameter address: {host!r} is not an IPv4 address or "
                                "host name.", data={"field": "address"}) from None
    return f"{host}:{int(port)}"


def check_serial(serial: object) -> str:
    if not isinstance(serial, str) or not SERIAL_RE.fullmatch(serial):
        raise InvalidParams(f"Invalid parameter serial: {serial!r} is not a device serial.",
                            data={"field": "serial"})
    return serial


def free_adb_port() -> int:
    """A free local port for a hub's own adb server, outside the range adb probes for
    emulators (`appliance demo`: its adb server never fights one already on 5037)."""
    return free_port()


class DeviceService:
    """Use cases over one DeviceManager; `start()`/`stop()` run it (Services.start/close)."""

    def __init__(self, config: Config, store: Store | None = None, manager: DeviceManager | None = None, *,
                 groups: GroupService):
        self.config = config
        self.manager = manager or DeviceManager(config, store)
        self.groups = groups

    def start(self) -> None:
        self.manager.start()

    def stop(self) -> None:
        self.manager.stop()

    @property
    def tracker(self) -> DeviceTracker:
        return self.manager.tracker

    @property
    def client(self) -> DeviceClient:
        return self.manager.client

    # --- reading ---
    def list(self, state: str | None = None, group: str | None = None) -> dict[str, Any]:
        """The devices the hub has seen (in `state`; of `group`: those of its phones it has
        seen), each with the names of its groups."""
        if state is not None and state not in STATES:
            raise InvalidParams(f"Invalid parameter state: {state!r}; use one of {', '.join(STATES)}.",
                                data={"field": "state"})
        infos = self.tracker.list(state)
        if group is not None:
            members = set(self.groups.serials_of([group], field="group"))
            infos = [info for info in infos if info.serial in members]
        names = self.groups.names_by_serial()
        devices = [{**info.to_dict(), "groups": names.get(info.serial, [])} for info in infos]
        return {"devices": devices, "total": len(devices)}

    def get(self, serial: str) -> dict[str, Any]:
        info = self.tracker.get(check_serial(serial))
        if info is None:
            raise DeviceNotFound(f"No device {serial} has been seen by this hub; "
                                 "see GET /api/v1/device for the ones it knows.")
        return self._device(info)

    def _device(self, info: DeviceInfo) -> dict[str, Any]:
        """The API's device object: the tracker's, with the names of its groups (extension)."""
        return {**info.to_dict(), "groups": self.groups.names_by_serial().get(info.serial, [])}

    def _known(self, serial: str) -> str:
        self.get(serial)
        return serial

    def wait_online(self, serial: str, timeout: float) -> bool:
        """Wait up to `timeout` seconds for `serial` to be listed `device`; True when it is."""
        info = self.tracker.wait_for(
            serial, lambda i: i is not None and i.state == "device", timeout)
        return info is not None and info.state == "device"

    # --- acting ---
    def connect(self, address: object) -> dict[str, Any]:
        """adb connect; the phone is remembered and reconnected after restarts. Raises
        DeviceOffline (unreachable), DeviceUnauthorized, DeviceTimeout."""
        try:
            serial = self.client.connect(parse_address(address))
        except DeviceUnauthorized:
            self.tracker.refresh_soon()   # listed "unauthorized" at once, not "offline"
            raise
        self.tracker.wait_for(serial, lambda info: info is not None and info.state != "unknown",
                              CONNECT_WAIT)
        info = self.tracker.get(serial)
        return self._device(info) if info else {"serial": serial, "state": "unknown"}

    def disconnect(self, serial: str) -> dict[str, Any]:
        serial = check_serial(serial)
        if ":" not in serial:
            raise InvalidParams(f"Device {serial} is attached by USB; only TCP devices "
                                "(host:port) can be disconnected.", data={"field": "serial"})
        self.client.disconnect(serial)
        return {"serial": serial, "disconnected": True}

    def screenshot(self, serial: str) -> bytes:
        return self.client.screenshot(self._known(check_serial(serial)))

    def hierarchy(self, serial: str) -> str:
        """The phone's live UI as uiautomator's XML. Read-only: it never taps, so while a video
        plays (no idle state) it retries a few times and then says to pause the video."""
        serial = self._known(check_serial(serial))
        for attempt in range(DUMP_ATTEMPTS):
            if attempt:
                time.sleep(DUMP_RETRY_GAP)
            result = dump_ui(lambda command: self.client.shell(serial, command).output)
            if result.ok or not result.not_idle:
                break
        if result.ok and result.xml is not None:
            return result.xml
        if result.not_idle:
            raise ScreenNotIdle(f"Phone {serial}'s screen never went idle (a video is playing), so "
                                f"uiautomator could not dump it after {DUMP_ATTEMPTS} tries: pause "
                                "the video on the phone (tap it once) and try again.")
        raise DeviceCommandFailed(f"Phone {serial} could not dump its screen ({result.error}); "
                                  "unlock the phone, check that it shows an app, and try again.")

    def reboot(self, serial: str) -> dict[str, Any]:
        self.client.reboot(self._known(check_serial(serial)))
        return {"serial": serial, "rebooting": True}

    def shell(self, serial: str, command: object, timeout: float | None = None) -> dict[str, Any]:
        """An operator's own command line (off unless `shell_api_enabled`)."""
        if not self.config.shell_api_enabled:
            raise FeatureDisabled("The device shell API is turned off on this hub; set "
                                  "shell_api_enabled = true in its config to allow it.")
        if not isinstance(command, str) or not command.strip():
            raise InvalidParams("Invalid parameter command: give a non-empty command line.",
                                data={"field": "command"})
        result = self.client.shell(self._known(check_serial(serial)), command, timeout=timeout,
                                   max_output=SHELL_MAX_OUTPUT)
        return {"serial": serial, "output": result.output, "status": result.status}
