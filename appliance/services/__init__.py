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
from typing import Any

from appliance.storage import Store


@dataclass
class Services:
    config: Any
    store: Store
    clock: Callable[[], datetime]
    registry: Any = None     # scripts.Registry (validation at create, running in the engine)
    tasks: Any = None        # services.tasks.TaskService
    accounts: Any = None     # services.accounts.AccountService
    groups: Any = None       # services.groups.GroupService (device groups)
    license: Any = None      # services.license.LicenseService
    access: Any = None       # services.access.AccessService (token, trusted networks)
    devices: Any = None      # services.devices.DeviceService (None when adb is disabled)
    engine: Any = None       # engine.Engine (None when adb is disabled)
    housekeeping: Any = None  # services.housekeeping.Housekeeping (retention)
    timekeeper: Any = None   # services.timekeeper.Timekeeper (APScheduler: every timed wake-up)
    schedules: Any = None    # services.schedules.ScheduleService (recurring schedules)
    events: Any = None       # services.events.EventService (the live events of GET /events)
    materials: Any = None    # services.materials.MaterialService (the material library)
    _closers: list = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        """Start the background parts (timekeeper, adb server, tracking, dispatcher)."""
        if self.engine is None:
            # Nothing runs tasks (adb off), yet none may stay "running" from a previous run.
            from appliance.engine import recover_interrupted
            recover_interrupted(self.store, self.clock)
        for part in (self.timekeeper, self.housekeeping, self.devices, self.engine):
            if part is not None and hasattr(part, "start"):
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


def build_services(config: Any, clock: Callable[[], datetime] | None = None) -> Services:
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
    services.engine = Engine(services.config, services.store, services.devices.manager,
                             services.registry, services.clock, random.Random(),
                             timer=services.timekeeper,
                             device_limit=lambda: services.license.plan().device_limit)
    services.tasks.engine = services.engine
