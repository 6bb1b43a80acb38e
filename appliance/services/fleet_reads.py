"""The gateway's read-only families (issue 17): devices, accounts, license and events of every
hub, from the retained state in `FleetView` (and the hubs' task events with fleet ids).

Request threads read; paho's network thread feeds `FleetEvents` (its bus has its own lock).
"""

from __future__ import annotations

import threading
from typing import Any

from appliance.config import Config
from appliance.domain.plans import Plan
from appliance.errors import ApplianceError, InvalidParams, NotFound
from appliance.fleet.topics import fleet_id
from appliance.services.events import EventBus, Subscription
from appliance.services.fleet_view import FleetView, NotOnGateway, hub_api_hint, topic_hub
from appliance.services.license import LicenseService
from appliance.services.quotas import Quotas


class FleetDevices:
    """The phones of every hub from their retained `devices`, each with `hub`; actions on a
    phone belong to its hub's own API."""

    def __init__(self, view: FleetView):
        self.view = view

    def _all(self) -> list[dict[str, Any]]:
        out = []
        for hub in self.view.hubs():
            up = self.view.is_up(hub)
            for device in hub.get("devices").get("devices") or []:
                if isinstance(device, dict):
                    row = {**device, "hub": hub.number, "hub_up": up}
                    if isinstance(row.get("running_task"), int) and row["running_task"] > 0:
                        row["running_task"] = fleet_id(row["running_task"], hub.number)
                    out.append(row)
        return out

    def list(self, state: str | None = None, group: str | None = None) -> dict[str, Any]:
        if group is not None:
            raise InvalidParams("Invalid parameter group: device groups belong to each hub; use "
                                "a hub's own API: " + hub_api_hint(self.view) + ".",
                                data={"field": "group"})
        rows = [d for d in self._all() if state is None or d.get("state") == state]
        return {"devices": rows, "total": len(rows)}

    def get(self, serial: str) -> dict[str, Any]:
        rows = [d for d in self._all() if d.get("serial") == serial]
        if not rows:
            raise NotFound(f"Device {serial} is on no hub of the fleet.", data={"serial": serial})
        return rows[0] if len(rows) == 1 else {**rows[0], "also_on_hubs": [
            d["hub"] for d in rows[1:]]}

    def _hub_only(self, serial: str | None, action: str) -> ApplianceError:
        hubs = self.view.serial_hubs(serial) if serial else None
        where = (f"phone {serial} is on hub {', '.join(map(str, hubs))}" if hubs
                 else "give the phone's hub")
        return NotOnGateway(f"The gateway does not {action}; {where}: call that hub's own API "
                            f"({hub_api_hint(self.view, hubs)}).", data={"hubs": hubs or []})

    def connect(self, address: Any) -> dict[str, Any]:
        raise self._hub_only(None, "connect phones (each hub has its own adb server)")

    def disconnect(self, serial: str) -> dict[str, Any]:
        raise self._hub_only(serial, "disconnect phones")

    def screenshot(self, serial: str) -> bytes:
        raise self._hub_only(serial, "take screenshots")

    def hierarchy(self, serial: str) -> str:
        raise self._hub_only(serial, "dump screens")

    def reboot(self, serial: str) -> dict[str, Any]:
        raise self._hub_only(serial, "reboot phones")

    def shell(self, serial: str, command: Any, timeout: float | None = None) -> dict[str, Any]:
        raise self._hub_only(serial, "run shell commands")


class FleetAccounts:
    """Every hub's accounts from their retained `accounts` (read only; each with `hub`)."""

    def __init__(self, view: FleetView):
        self.view = view

    def list(self, query: dict[str, Any]) -> dict[str, Any]:
        rows = []
        for hub in self.view.hubs():
            for a in hub.get("accounts").get("accounts") or []:
                if isinstance(a, dict):
                    rows.append({"username": a.get("username"), "device": a.get("serial"),
                                 "enabled": a.get("enabled", True), "hub": hub.number})
        if "username" in query:
            name = str(query["username"]).lstrip("@")
            rows = [r for r in rows if r["username"] == name]
        if "device" in query:
            rows = [r for r in rows if r["device"] == query["device"]]
        if "enabled" in query:
            rows = [r for r in rows if r["enabled"] == query["enabled"]]
        page = query.get("page", 1)
        size = min(query.get("page_size", 100), 1000)
        return {"accounts": rows[(page - 1) * size: page * size], "total": len(rows),
                "page": page, "page_size": size}

    def _hub_only(self, action: str) -> ApplianceError:
        return NotOnGateway(f"The gateway lists accounts but does not {action} them: call the "
                            f"hub's own API ({hub_api_hint(self.view)}).")

    def get(self, account_id: int) -> dict[str, Any]:
        raise self._hub_only("show (account ids belong to each hub)")

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        raise self._hub_only("create")

    def update(self, account_id: Any, changes: dict[str, Any]) -> dict[str, Any]:
        raise self._hub_only("change")

    def delete(self, account_id: int) -> dict[str, Any]:
        raise self._hub_only("delete")


class FleetLicense:
    """The fleet's plan (the gateway's `plan`): its device limit is fleet-wide."""

    def __init__(self, license: LicenseService, quotas: Quotas | None = None):
        self._license = license
        self.quotas = quotas

    def plan(self) -> Plan:
        plan: Plan = self._license.plan()
        return plan

    def check(self) -> dict[str, Any]:
        data: dict[str, Any] = self.plan().describe()
        if self.quotas is not None:
            data["fleet_quotas"] = self.quotas.snapshot()
        return data


class FleetEvents:
    """The hubs' task events with fleet ids, as the hub's event stream sends its own."""

    def __init__(self, config: Config):
        self.bus = EventBus(config.event_buffer, config.event_subscribers)
        self._phones: dict[tuple[int, str], str] = {}
        self._lock = threading.Lock()

    def watch(self, view: FleetView) -> None:
        """device_status (and reload_devices when a phone comes or goes) from the hubs'
        retained `devices`, as a hub sends them from its tracker."""
        def changed(hub: int, kind: str) -> None:
            if kind == "devices":
                state = view.hub(hub)
                self.devices_changed(hub, state.get("devices").get("devices") or []
                                     if state is not None else [])
        view.listen(changed)

    def devices_changed(self, hub: int, devices: list[Any]) -> None:
        now = {(hub, str(d.get("serial"))): str(d.get("state")) for d in devices
               if isinstance(d, dict)}
        with self._lock:
            before = {k: v for k, v in self._phones.items() if k[0] == hub}
            for key in before.keys() - now.keys():
                del self._phones[key]
                self.bus.publish("device_status", {"serial": key[1], "state": "absent",
                                                   "hub": hub})
            self._phones.update(now)
            for key, state in now.items():
                if before.get(key) != state:
                    self.bus.publish("device_status", {"serial": key[1], "state": state,
                                                       "hub": hub})
            if before.keys() != now.keys():
                self.bus.publish("reload_devices", {"data": {"hub": hub}})

    def subscribe(self, last_id: str | None, types: frozenset[str]) -> Subscription:
        return self.bus.subscribe(last_id, types)

    def refresh(self) -> None:
        pass

    def handle(self, topic: str, payload: Any, properties: Any = None) -> None:
        where = topic_hub(topic)
        if where is None or not isinstance(payload, dict):
            return
        hub = where[0]
        data = payload.get("data")
        kind = payload.get("type")
        if not isinstance(data, dict) or not isinstance(kind, str):
            return
        data = {**data, "hub": hub}
        if isinstance(data.get("task_id"), int) and data["task_id"] > 0:
            data["task_id"] = fleet_id(data["task_id"], hub)
        self.bus.publish(kind, data)
