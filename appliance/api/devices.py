"""Resources of the `/device` family: list, detail, connect, disconnect, screenshot, hierarchy
(the live UI dump), reboot, shell.

Thin: parse, call one DeviceService method, answer (the screenshot answers image/png and the
hierarchy application/xml; their errors still get the envelope). With adb disabled in config,
every route answers 50301 saying so.
Runs on waitress worker threads and keeps no state of its own.
"""

from __future__ import annotations

from appliance.api import schemas
from appliance.api.envelope import ok
from appliance.api.protocols import Devices
from appliance.api.requests import read_json, read_query
from appliance.errors import DeviceError
from appliance.services.devices import DEVICE_STATES as STATES

LIST_QUERY = {"type": "object", "properties": {
    "state": {"type": "string", "enum": list(STATES),
              "description": "only devices in this state"},
    "group": schemas.GROUP_FILTER}}
CONNECT = {"type": "object", "properties": {
    "address": {"type": "string", "minLength": 3, "maxLength": 260,
                "description": "host:port of a phone with adb over TCP, e.g. 192.168.1.20:5555"}},
    "required": ["address"]}
SHELL = {"type": "object", "properties": {
    "command": {"type": "string", "minLength": 1, "maxLength": 8192,
                "description": "a command line for the phone's sh, as the operator typed it"},
    "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 600, "default": 30}},
    "required": ["command"]}
HEALTH = {"type": "object", "properties": {
    "battery_level": {"type": ["integer", "null"]},
    "temperature": {"type": ["number", "null"], "description": "battery, degrees C"},
    "charging": {"type": ["boolean", "null"]}, "powered": {"type": ["boolean", "null"]},
    "model": {"type": ["string", "null"]}, "brand": {"type": ["string", "null"]},
    "android_version": {"type": ["string", "null"]}, "sdk": {"type": ["integer", "null"]},
    "screen_size": {"type": ["string", "null"]},
    "app": {"type": "object", "description": "the TikTok app of `app_package` on this phone",
            "properties": {
                "package": {"type": "string"},
                "installed": {"type": ["boolean", "null"], "description": "null: not known"},
                "version": {"type": ["string", "null"], "description": "versionName"}}},
    "keyboard_installed": {"type": ["boolean", "null"],
                           "description": "the ADB keyboard (com.android.adbkeyboard)"},
    "checked_at": {"type": "number"}},
    "description": "the last health check; empty until the first one (then the phone is usable "
                   "as far as app and keyboard go)"}
DEVICE = {"type": "object", "properties": {
    "serial": {"type": "string"},
    "state": {"type": "string", "enum": list(STATES),
              "description": "stalled: adb lists it but it answers nothing (no tasks until it "
                             "answers again); unauthorized: accept the RSA key prompt on the "
                             "phone; unknown while the hub re-syncs with its adb server"},
    "stalled_since": {"type": ["string", "null"],
                      "description": "while stalled: when the check that got no answer began"},
    "adb_state": {"type": "string", "description": "the state adb reports, unabridged"},
    "transport": {"type": "string", "enum": ["usb", "tcp"]},
    "usable": {"type": "boolean", "description": "gets tasks: state device, not held, app and "
                                                 "ADB keyboard not found missing"},
    "unusable_reason": {"type": ["string", "null"],
                        "description": "why it gets no tasks and what to do; null when usable"},
    "hot": {"type": "boolean"}, "quarantined": {"type": ["string", "null"]},
    "held": {"type": ["object", "null"], "description": "the hub keeps it from new tasks "
             "(quarantined, resting hot, or its last task lost it); null when not",
             "properties": {"reason": {"type": "string"},
                            "until": {"type": ["string", "null"],
                                      "description": "when the hold ends, if a time ends it"}}},
    "first_seen": {"type": "string"}, "last_seen": {"type": "string"},
    "changed_at": {"type": "string"}, "health": HEALTH,
    "groups": {"type": "array", "items": {"type": "string"},
               "description": "extension: the device groups this phone is in (names)"}}}


class _Resource:
    def __init__(self, devices: Devices, max_body: int):
        self._devices, self.max_body = devices, max_body

    @property
    def devices(self):
        if self._devices is None:
            raise DeviceError("Devices are turned off on this hub (adb_enabled = false).")
        return self._devices


class DeviceCollection(_Resource):
    def on_get(self, req, resp) -> None:
        query = read_query(req, LIST_QUERY)
        ok(resp, self.devices.list(query.get("state"), query.get("group")))


class DeviceConnect(_Resource):
    def on_post(self, req, resp) -> None:
        ok(resp, self.devices.connect(read_json(req, self.max_body, CONNECT)["address"]))


class DeviceItem(_Resource):
    def on_get(self, req, resp, serial: str) -> None:
        ok(resp, self.devices.get(serial))

    def on_post_disconnect(self, req, resp, serial: str) -> None:
        ok(resp, self.devices.disconnect(serial))

    def on_get_screenshot(self, req, resp, serial: str) -> None:
        resp.data = self.devices.screenshot(serial)
        resp.content_type = "image/png"

    def on_get_hierarchy(self, req, resp, serial: str) -> None:
        resp.text = self.devices.hierarchy(serial)
        resp.content_type = "application/xml; charset=utf-8"

    def on_post_reboot(self, req, resp, serial: str) -> None:
        ok(resp, self.devices.reboot(serial))

    def on_post_shell(self, req, resp, serial: str) -> None:
        body = read_json(req, self.max_body, SHELL)
        ok(resp, self.devices.shell(serial, body["command"], timeout=body["timeout"]))


_AT = "2026-05-04T09:30:00+02:00"  # the examples' time
_DEVICE_EXAMPLE = {
    "serial": "R58M12345AB", "state": "device", "stalled_since": None, "adb_state": "device",
    "transport": "usb", "usable": True, "unusable_reason": None, "hot": False,
    "quarantined": None, "held": None, "first_seen": _AT, "last_seen": _AT,
    "changed_at": _AT, "groups": ["Shelf A"],
    "health": {"battery_level": 87, "temperature": 31.5, "charging": True, "powered": True,
               "model": "SM-A515F", "brand": "samsung", "android_version": "13", "sdk": 33,
               "screen_size": "1080x2400", "keyboard_installed": True,
               "app": {"package": "com.zhiliaoapp.musically", "installed": True,
                       "version": "34.1.2"}, "checked_at": 1777880000.0}}


def add_routes(app, services, openapi: schemas.OpenApi, prefix: str) -> None:
    devices, limit = services.devices, services.config.max_body_bytes
    app.add_route(prefix + "/device", DeviceCollection(devices, limit))
    app.add_route(prefix + "/device/connect", DeviceConnect(devices, limit))
    item = DeviceItem(devices, limit)
    app.add_route(prefix + "/device/{serial}", item)
    for suffix in ("disconnect", "screenshot", "hierarchy", "reboot", "shell"):
        app.add_route(prefix + "/device/{serial}/" + suffix, item, suffix=suffix)

    listing = {"type": "object", "properties": {
        "devices": {"type": "array", "items": DEVICE}, "total": {"type": "integer"}}}
    openapi.add_path("/device", "get", "Devices the hub has seen, with state and health",
                     query=LIST_QUERY, data=listing, tag="devices",
                     data_example={"devices": [_DEVICE_EXAMPLE], "total": 1})
    openapi.add_path("/device/connect", "post", "Connect a phone over TCP (adb connect); "
                     "it is reconnected after restarts", body=CONNECT, data=DEVICE, tag="devices",
                     example={"address": "192.168.1.20:5555"},
                     data_example={**_DEVICE_EXAMPLE, "serial": "192.168.1.20:5555",
                                   "transport": "tcp"})
    openapi.add_path("/device/{serial}", "get", "One device (40401 if never seen)",
                     data=DEVICE, tag="devices", data_example=_DEVICE_EXAMPLE)
    openapi.add_path("/device/{serial}/disconnect", "post", "Disconnect a TCP phone and forget it",
                     data={"type": "object"}, tag="devices", data_example={})
    openapi.add_path("/device/{serial}/screenshot", "get", "The screen as PNG", tag="devices",
                     responses={"200": {"description": "the screenshot",
                                        "content": {"image/png": {"schema": {
                                            "type": "string", "format": "binary"}}}},
                                "default": {"description": "error envelope",
                                            "content": {"application/json": {
                                                "schema": schemas.envelope()}}}})
    openapi.add_path("/device/{serial}/hierarchy", "get", "The live UI as uiautomator XML (read-only: "
                     "it never taps; 50301 while a playing video keeps the screen from going idle)",
                     tag="devices",
                     responses={"200": {"description": "the UI dump",
                                        "content": {"application/xml": {"schema": {
                                            "type": "string"}, "example": (
                                            "<?xml version='1.0' encoding='UTF-8' standalone="
                                            "'yes' ?><hierarchy rotation=\"0\"><node text=\""
                                            "Home\" bounds=\"[0,2250][216,2400]\" /></hierarchy>"
                                        )}}},
                                "default": {"description": "error envelope",
                                            "content": {"application/json": {
                                                "schema": schemas.envelope()}}}})
    openapi.add_path("/device/{serial}/reboot", "post", "Reboot the phone (it goes away and "
                     "comes back)", data={"type": "object"}, tag="devices", data_example={})
    openapi.add_path("/device/{serial}/shell", "post", "Run an operator's command on the phone "
                     "(40302 unless shell_api_enabled)", body=SHELL,
                     data={"type": "object", "properties": {
                         "output": {"type": "string"}, "status": {"type": "integer"}}},
                     tag="devices", example={"command": "getprop ro.product.model"},
                     data_example={"output": "SM-A515F\n", "status": 0})
