"""The one place that wires the parts: `build_services(config)` returns the running hub's parts.

`Services.start()` brings up devices and the engine (store first, API last is the caller's job);
`Services.close()` stops them in reverse order and closes the store. Request threads call the
use-case objects (`tasks`, `license`, `devices`, ...); each documents what it touches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from appliance.storage import Store

if TYPE_CHECKING:
    from appliance.config import Config
    from appliance.engine import Engine
    from appliance.scripts.protocols import ScriptRegistry
    from appliance.services.access import AccessService
    from appliance.services.accounts import AccountService
    from appliance.services.devices import DeviceService
    from appliance.services.events import EventService
    from appliance.services.fleet import FleetMember
    from appliance.services.groups import GroupService
    from appliance.services.housekeeping import Housekeeping
    from appliance.services.license import LicenseService
    from appliance.services.materials import MaterialService
    from appliance.services.schedules import ScheduleService
    from appliance.services.tasks import TaskService
    from appliance.services.timekeeper import Timekeeper


class _Part(Protocol):
    """A background part Services starts and stops."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Services:
    """The running hub's parts. Optional ones are None while not built: `devices` and `engine`
    when adb is disabled, `fleet` unless fleet_broker is set; the rest are set by build_services."""

    config: Config
    store: Store
    clock: Callable[[], datetime]
    registry: ScriptRegistry = field(init=False)   # validation at create, running in the engine
    tasks: TaskService = field(init=False)
    accounts: AccountService = field(init=False)
    groups: GroupService = field(init=False)         # device groups
    license: LicenseService = field(init=False)
    access: AccessService = field(init=False)        # token, trusted networks
    housekeeping: Housekeeping = field(init=False)   # retention
    timekeeper: Timekeeper = field(init=False)       # APScheduler: every timed wake-up
    schedules: ScheduleService = field(init=False)   # recurring schedules
    events: EventService = field(init=False)         # the live events of GET /events
    materials: MaterialService = field(init=False)   # the material library
    devices: DeviceService | None = None             # None when adb is disabled
    engine: Engine | None = None                     # None when adb is disabled
    fleet: FleetMember | None = None                 # None unless fleet_broker is set
    _closers: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        """Start the background parts (timekeeper, adb server, tracking, dispatcher)."""
        if self.engine is None:
            # Nothing runs tasks (adb off), yet none may stay "running" from a previous run.
            from appliance.engine import recover_interrupted
            recover_interrupted(self.store, self.config, self.clock)
        parts: list[_Part | None] = [self.timekeeper, self.housekeeping, self.devices,
                                     self.engine, self.fleet]
        for part in parts:
            if part is not None:
                # Registered first: a part that fails half-way (the adb server spawned but never
                # answering) is still stopped by close(), or its child outlives the hub.
                self._closers.append(part.stop)
                part.start()

    def close(self) -> None:
        """Stop background parts in reverse order, then close the store. Idempotent. A part that
        fails to stop is logged and the others still stop (the adb server is a child process
        that would outlive the hub) and the store still closes."""
        with self._lock:
            closers, self._closers = self._closers, []
            for stop in reversed(closers):
                try:
                    stop()
                except Exception:
                    logging.getLogger("appliance").exception("stopping %r failed", stop)
            self.store.close()


def build_services(config: Config, clock: Callable[[], datetime] | None = None) -> Services:
    """Open the store and wire every part from `config`. Raises StoreError, ConfigError."""
    from appliance.scripts import default_registry
    from appliance.services.access import AccessService
    from appliance.services.accounts import AccountService
    from appliance.services.events import EventService
    from appliance.services.groups import GroupService
    from appliance.services.housekeeping import Housekeeping
    from appliance.services.license import LicenseService
    from appliance.services.materials import MaterialService
    from appliance.services.schedules import ScheduleService
    from appliance.services.statefiles import private_dir
    from appliance.services.tasks import TaskService
    from appliance.services.timekeeper import Timekeeper, hub_zone

    zone = hub_zone(config.timezone)
    clock = clock or (lambda: datetime.now(zone))
    config.state_dir.mkdir(parents=True, exist_ok=True)
    private_dir(config.state_dir)
    store = Store.open(config.state_dir)
    services = Services(config=config, store=store, clock=clock)
    try:
        services.license = LicenseService(config, store)
        services.access = AccessService(config)
        services.events = EventService(config, store, services.license)
        services.timekeeper = Timekeeper(zone, config.schedule_grace, clock, store.jobs)
        services.housekeeping = Housekeeping(config, store, clock, services.timekeeper)
        services.accounts = AccountService(config, store, clock)
        services.materials = MaterialService(config, store, clock)
        services.registry = default_registry(config, accounts=services.accounts,
                                             materials=services.materials)
        services.groups = GroupService(store, clock)
        services.tasks = TaskService(config, store, clock, registry=services.registry,
                                     groups=services.groups)
        services.schedules = ScheduleService(store, clock, services.timekeeper, services.tasks,
                                             services.registry, services.groups)
        if config.adb_enabled:
            _wire_devices_and_engine(services)
        if config.fleet_broker:
            _wire_fleet(services)
    except BaseException:
        store.close()
        raise
    return services


def _wire_devices_and_engine(services: Services) -> None:
    """The devices layer (adb server, tracking, health), then the engine that runs tasks through
    its client and tracker; TaskService tells the engine about new, retried and stopped tasks."""
    import random

    from appliance.engine import Engine
    from appliance.services.devices import DeviceService

    services.devices = DeviceService(services.config, services.store, groups=services.groups)
    services.events.watch_devices(services.devices.tracker)
    services.engine = Engine(services.config, services.store, services.registry, services.clock,
                             random.Random(), timer=services.timekeeper,
                             client=services.devices.client, tracker=services.devices.tracker,
                             device_limit=services.license.device_limit)
    services.tasks.engine = services.engine


def _wire_fleet(services: Services) -> None:
    """This hub in a fleet (issue 17): its state on the broker, the gateway's requests answered
    through its TaskService, and the gateway's quota capping the engine's device limit."""
    from appliance.errors import ConfigError
    from appliance.services.fleet import FleetMember

    config = services.config
    if not 1 <= config.fleet_hub <= 63:
        raise ConfigError("fleet_broker is set but fleet_hub is not: set fleet_hub to this hub's "
                          "number in the fleet, 1 to 63 (never reused), or clear fleet_broker.")
    if not config.fleet_password:
        raise ConfigError(f"fleet_broker is set but fleet_password is empty: set it to the "
                          f"broker password of user hub-{config.fleet_hub}.")
    tracker = services.devices.tracker if services.devices is not None else None
    services.fleet = FleetMember(config, services.store, services.tasks, services.license,
                                 tracker=tracker, engine=services.engine)
    services.license.fleet = services.fleet
