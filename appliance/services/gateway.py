"""The fleet gateway (issue 17): one `/api/v1` over every hub, through the broker.

`Gateway` holds the parts the API reads (shaped like `services.Services`): `FleetTasks`
(services/fleet_tasks.py), the read-only families (services/fleet_reads.py), the `FleetView` and
the `Quotas`; `build_gateway(config)` wires them with the broker link. Threads: waitress's call
the services, paho's feeds the view and the events, the `gw-quotas` loop rebalances.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from appliance.config import Config
from appliance.fleet import topics
from appliance.fleet.link import Link
from appliance.loops import BackgroundLoop
from appliance.services.access import AccessService
from appliance.services.fleet_reads import FleetAccounts, FleetDevices, FleetEvents, FleetLicense
from appliance.services.fleet_tasks import CLIENT_KEY, FleetTasks
from appliance.services.fleet_view import FleetView, NotOnGateway, hub_api_hint
from appliance.services.quotas import Quotas

__all__ = ["CLIENT_KEY", "FleetAccounts", "FleetDevices", "FleetEvents", "FleetLicense",
           "FleetTasks", "Gateway", "NotOnGateway", "build_gateway", "hub_api_hint"]

log = logging.getLogger("appliance.gateway")

QUOTA_SECONDS = 2.0        # how often the gateway looks at the quotas


@dataclass
class Gateway:
    """The gateway's parts, shaped like `services.Services` where the API reads them."""

    config: Config
    clock: Callable[[], datetime]
    view: FleetView
    link: Link
    gateway_id: str
    tasks: FleetTasks
    devices: FleetDevices
    accounts: FleetAccounts
    license: FleetLicense
    access: AccessService
    events: FleetEvents
    quotas: Quotas
    registry: Any = None
    _loop: BackgroundLoop = field(init=False, repr=False)
    _subscribed_at: float | None = field(default=None, init=False, repr=False)
    _failing: str = field(default="", init=False, repr=False)   # the last failure's reason

    def __post_init__(self) -> None:
        self._loop = BackgroundLoop("gw-quotas", self._quota_pass, interval=QUOTA_SECONDS,
                                    wait_first=True)

    def start(self) -> None:
        self.link.start()
        self._loop.start()

    def _quota_pass(self) -> float:
        """Rebalance every QUOTA_SECONDS once the link has been subscribed for one period (so
        the broker's retained `quota` messages seeded the table first). A failing pass is
        logged once with its traceback, then only when its reason changes."""
        if not self.link.connected:
            return QUOTA_SECONDS
        if self._subscribed_at is None:
            if self.link.wait_subscribed(0):
                self._subscribed_at = time.monotonic()
            return QUOTA_SECONDS
        if time.monotonic() - self._subscribed_at < QUOTA_SECONDS:
            return QUOTA_SECONDS
        try:
            self.quotas.tick()
        except Exception as exc:   # the loop must outlive any bad message
            reason = f"{type(exc).__name__}: {exc}"
            if not self._failing:
                log.exception("quota rebalance failed; the hubs keep their quotas")
            elif reason != self._failing:
                log.warning("quota rebalance still failing (%s); the hubs keep their quotas",
                            reason)
            self._failing = reason
        else:
            if self._failing:
                log.info("quota rebalance works again")
            self._failing = ""
        return QUOTA_SECONDS

    def close(self) -> None:
        self._loop.stop(10)
        self.tasks.close()
        self.link.stop()


def build_gateway(config: Config, clock: Callable[[], datetime] | None = None) -> Gateway:
    """Wire the gateway from `config` (fleet_broker required). Raises ConfigError."""
    from appliance.errors import ConfigError
    from appliance.fleet.link import Link as MqttLink
    from appliance.scripts import default_registry
    from appliance.services.access import AccessService
    from appliance.services.license import LicenseService
    from appliance.services.statefiles import private_dir
    from appliance.services.timekeeper import hub_zone

    if not config.fleet_broker or not config.fleet_password:
        missing = "fleet_broker" if not config.fleet_broker else "fleet_password"
        raise ConfigError(f"The gateway needs the fleet's broker, and {missing} is not set: set "
                          "fleet_broker (e.g. mqtt://127.0.0.1:1883) and fleet_password (the "
                          "broker user `gateway`'s password) in its config.")
    zone = hub_zone(config.timezone)
    clock = clock or (lambda: datetime.now(zone))
    config.state_dir.mkdir(parents=True, exist_ok=True)
    private_dir(config.state_dir)
    gateway_id = uuid.uuid4().hex[:12]
    view = FleetView(config.fleet_stale_after)
    events = FleetEvents(config)
    holder: dict[str, Any] = {}

    def on_connect() -> None:
        # Every (re)connect: the hubs' quotas again (the link resubscribes by itself).
        view.reconnected()
        if "quotas" in holder:
            holder["quotas"].republish()

    link = MqttLink(f"gateway-{gateway_id}", "gateway", config.fleet_password,
                    config.fleet_broker, keepalive=config.fleet_keepalive, on_connect=on_connect,
                    ca_file=config.fleet_ca_file)
    for kind in ("status", "info", "devices", "accounts", "stats"):
        link.subscribe(topics.all_hubs(kind), view.handle)
    link.subscribe(topics.all_hubs("events"), events.handle)
    events.watch(view)
    license = LicenseService(config)

    def publish_quota(hub: int, message: dict[str, int]) -> bool:
        return bool(link.publish(topics.quota(hub), message, retain=True, qos=1))

    quotas = Quotas(config.state_dir, view, lambda: license.plan().device_limit, publish_quota)
    holder["quotas"] = quotas

    def seed_quota(topic: str, payload: Any, properties: Any = None) -> None:
        where = topics.parse_hub_topic(topic)
        if where is not None:
            quotas.seed(where[0], payload)

    link.subscribe(topics.all_hubs("quota"), seed_quota)
    registry = default_registry(config)
    tasks = FleetTasks(config, view, link, gateway_id, registry)
    return Gateway(config=config, clock=clock, view=view, link=link, gateway_id=gateway_id,
                   tasks=tasks, devices=FleetDevices(view), accounts=FleetAccounts(view),
                   license=FleetLicense(license, quotas), access=AccessService(config),
                   events=events, quotas=quotas, registry=registry)
