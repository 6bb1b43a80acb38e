"""The gateway's picture of the fleet (issue 17), built from the hubs' retained topics only.

`FleetView` keeps, per hub number, the last status/info/devices/accounts/stats payload and when
the gateway received it. paho's network thread writes (`handle`); request threads and the quota
loop read snapshots; one lock guards the maps. Pure of I/O: tests feed it payloads directly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from appliance.errors import NotFound
from appliance.fleet import topics

log = logging.getLogger("appliance.gateway")

KINDS = ("status", "info", "devices", "accounts", "stats")
# Device states (devices.info.STATES) meaning the phone is not (or no longer) on that hub.
GONE_STATES = frozenset({"absent", "offline"})
SKEW_WARN = 2.0     # seconds of clock difference between a hub and the gateway worth a warning
PREFIX = topics.PREFIX


def topic_hub(topic: str) -> tuple[int, str] | None:
    """`appliance/v1/hub/hub-N/<kind>` -> (N, kind); None for anything else. The hub's number
    comes from the topic (the broker's ACL ties it to the hub's user), never from a payload."""
    return topics.parse_hub_topic(topic)


@dataclass
class HubState:
    """What the gateway last heard from one hub (payloads as received; times by monotonic)."""

    number: int
    payloads: dict[str, dict[str, Any]] = field(default_factory=dict)
    received: dict[str, float] = field(default_factory=dict)

    def get(self, kind: str) -> dict[str, Any]:
        return self.payloads.get(kind) or {}

    @property
    def online(self) -> bool:
        return self.get("status").get("state") == "online"

    @property
    def api(self) -> str:
        return str(self.get("status").get("api") or self.get("info").get("api") or "")


class FleetView:
    """Hubs by number. A hub is UP when its status says online and its last stats arrived less
    than `stale_after` seconds ago (gateway receive time: hub clocks may be wrong; only the
    first heartbeat after a connect, perhaps an old retained one, is dated by the hub's `ts`)."""

    def __init__(self, stale_after: float, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time):
        self.stale_after = stale_after
        self.clock = clock
        self.wall = wall
        self._lock = threading.Lock()
        self._hubs: dict[int, HubState] = {}
        self._listeners: list[Callable[[int, str], None]] = []
        # Hubs whose stats came since the link (re)connected: the first one may be a retained
        # heartbeat of a hub that died while the gateway (or the broker) was away.
        self._heard: set[int] = set()
        self.skews: dict[int, float] = {}    # hub -> its clock minus the gateway's, seconds
        self._skew_warned: set[int] = set()

    def reconnected(self) -> None:
        """The link (re)connected: the next stats of each hub may be an old retained one."""
        with self._lock:
            self._heard.clear()

    def _received_at(self, number: int, kind: str, payload: dict[str, Any]) -> float:
        """When to count the message from: now, except for a hub's first heartbeat since the
        link connected, which is dated by its own `ts` when that is older (a retained one)."""
        now = self.clock()
        if kind != "stats":
            return now
        if number in self._heard:
            self._note_skew(number, payload)
            return now
        self._heard.add(number)
        ts = payload.get("ts")
        if isinstance(ts, int | float) and not isinstance(ts, bool):
            return now - min(max(0.0, self.wall() - float(ts)), 10 * self.stale_after)
        return now

    def listen(self, callback: Callable[[int, str], None]) -> None:
        """`callback(hub, kind)` after each change (called on the writer's thread, no lock held)."""
        self._listeners.append(callback)

    def handle(self, topic: str, payload: Any, properties: Any = None) -> None:
        """One retained-state message. An empty payload (a decommissioned hub's cleared topic)
        forgets that kind; a hub with nothing left is forgotten."""
        where = topic_hub(topic)
        if where is None:
            return
        number, kind = where
        if kind not in KINDS:
            return
        with self._lock:
            hub = self._hubs.get(number)
            if not isinstance(payload, dict) or not payload:
                if hub is not None:
                    hub.payloads.pop(kind, None)
                    hub.received.pop(kind, None)
                    if not hub.payloads:
                        del self._hubs[number]
            else:
                if hub is None:
                    hub = self._hubs[number] = HubState(number)
                hub.payloads[kind] = payload
                hub.received[kind] = self._received_at(number, kind, payload)
        for callback in self._listeners:
            callback(number, kind)

    def _note_skew(self, number: int, payload: dict[str, Any]) -> None:
        """A live heartbeat's `ts` against the gateway's clock (lock held): merging lists
        newest first trusts the hubs' clocks, so a skew over SKEW_WARN s is logged once."""
        ts = payload.get("ts")
        if not isinstance(ts, int | float) or isinstance(ts, bool):
            return
        skew = round(float(ts) - self.wall(), 1)
        self.skews[number] = skew
        if abs(skew) > SKEW_WARN and number not in self._skew_warned:
            self._skew_warned.add(number)
            log.warning("hub %d's clock is %+.1f s off the gateway's: task lists merge by "
                        "creation time, so run NTP on every hub (timedatectl)", number, skew)
        elif abs(skew) <= SKEW_WARN:
            self._skew_warned.discard(number)

    # --- reads (snapshots: callers get copies of the maps, payloads are never mutated) ---

    def numbers(self) -> list[int]:
        with self._lock:
            return sorted(self._hubs)

    def hub(self, number: int) -> HubState | None:
        with self._lock:
            hub = self._hubs.get(number)
            if hub is None:
                return None
            return HubState(number, dict(hub.payloads), dict(hub.received))

    def hubs(self) -> list[HubState]:
        with self._lock:
            return [HubState(n, dict(h.payloads), dict(h.received))
                    for n, h in sorted(self._hubs.items())]

    def stats_age(self, hub: HubState) -> float | None:
        at = hub.received.get("stats")
        return None if at is None else max(0.0, self.clock() - at)

    def is_up(self, hub: HubState | None) -> bool:
        """Online, and a heartbeat younger than `stale_after` heard since the link last
        connected: after a broker restart without persistence, a hub that has not come back
        yet is down at once (its old heartbeat would send requests into the void)."""
        if hub is None or not hub.online:
            return False
        with self._lock:
            if hub.number not in self._heard:
                return False
        age = self.stats_age(hub)
        return age is not None and age < self.stale_after

    def up(self, number: int) -> bool:
        return self.is_up(self.hub(number))

    def why_down(self, number: int) -> str:
        """A sentence for a hub that is not UP: what the gateway last heard."""
        hub = self.hub(number)
        if hub is None:
            return f"hub {number} is not known to the gateway (it never published its state)"
        if not hub.online:
            return f"hub {number} is offline (its broker session ended)"
        age = self.stats_age(hub)
        if age is None:
            return f"hub {number} has sent no heartbeat yet"
        return f"hub {number} sent no heartbeat for {age:.0f} s"

    def owners(self, kind: str, list_key: str, field_name: str, value: str,
               match: Callable[[dict[str, Any]], bool] = lambda item: True) -> list[int]:
        """The hubs whose retained `kind` lists an item with `field_name == value`."""
        found = []
        for hub in self.hubs():
            items = hub.get(kind).get(list_key) or []
            if any(isinstance(i, dict) and i.get(field_name) == value and match(i) for i in items):
                found.append(hub.number)
        return found

    def serial_hubs(self, serial: str) -> list[int]:
        return self.owners("devices", "devices", "serial", serial)

    def serial_route(self, serial: str) -> list[int]:
        """The hubs a task for `serial` could go to: every hub listing it, but when several do,
        only those where it is not gone (`absent`/`offline`: a phone moved to another hub stays
        listed on the old one for a while). Two live ones (or only gone ones): all returned."""
        states: dict[int, set[str]] = {}
        for hub in self.hubs():
            for item in hub.get("devices").get("devices") or []:
                if isinstance(item, dict) and item.get("serial") == serial:
                    states.setdefault(hub.number, set()).add(str(item.get("state")))
        if len(states) <= 1:
            return sorted(states)
        live = [n for n, seen in sorted(states.items()) if not seen <= GONE_STATES]
        return live or sorted(states)

    def username_hubs(self, username: str) -> list[int]:
        return self.owners("accounts", "accounts", "username", username)

    def phones(self, number: int) -> int:
        hub = self.hub(number)
        return 0 if hub is None else len(hub.get("devices").get("devices") or [])


class NotOnGateway(NotFound):
    """A route only a hub's own API serves (its devices' actions, groups, schedules...)."""


def hub_api_hint(view: FleetView, numbers: Iterable[int] | None = None) -> str:
    urls = []
    for hub in view.hubs():
        if numbers is None or hub.number in numbers:
            urls.append(f"hub {hub.number}: {hub.api or 'address not published'}")
    return "; ".join(urls) or "no hub has published its address yet"
