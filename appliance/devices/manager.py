"""DeviceManager: the devices layer as one part with start()/stop() (server, tracker, health).

Built by services, started once by `Services.start()`. After every adb server restart, and every
few seconds for TCP phones that dropped, it reconnects the remembered TCP addresses on a thread
of its own, so the supervisor and the tracker never wait on a phone. It wires the parts to each
other: a call that times out has the phone health-checked, a newly listed serial is remembered.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from appliance.devices.client import DeviceClient
from appliance.devices.health import HealthMonitor
from appliance.devices.seen import SeenPhones
from appliance.devices.server import AdbServer, TcpPhones
from appliance.devices.tracker import DeviceTracker
from appliance.errors import DeviceError, DeviceUnauthorized
from appliance.loops import BackgroundLoop

if TYPE_CHECKING:
    from appliance.storage import Store

log = logging.getLogger(__name__)

RECONNECT_EVERY = 3.0     # seconds between reconnect attempts of a dropped TCP phone
CONNECT_TIMEOUT = 5.0     # adb connect blocks 10 s on a phone that accepts TCP but never answers


class DeviceSettings(Protocol):
    """The settings (of `config.Config`) the devices layer reads."""

    @property
    def adb_path(self) -> str: ...
    @property
    def adb_port(self) -> int: ...
    @property
    def state_dir(self) -> Path: ...
    @property
    def adb_timeout(self) -> float: ...
    @property
    def track_poll_interval(self) -> float: ...
    @property
    def health_interval(self) -> float: ...
    @property
    def hot_temperature(self) -> float: ...
    @property
    def cool_temperature(self) -> float: ...
    @property
    def app_package(self) -> str: ...


class DeviceManager:
    """Owns the adb server, the client, the tracker and the health monitor of one hub."""

    def __init__(self, config: DeviceSettings, store: Store | None = None, host: str = "127.0.0.1") -> None:
        self.config = config
        self.tcp_phones = TcpPhones(store)
        self.server = AdbServer(config.adb_path, config.adb_port, Path(config.state_dir),
                                host=host, on_restart=self._after_restart)
        self.seen = SeenPhones(store)
        self.tracker = DeviceTracker(host, config.adb_port, config.track_poll_interval)
        self.tracker.on_new_serials = self.seen.record
        self.client = DeviceClient(host, config.adb_port, config.adb_timeout,
                                   known=self.tracker.known, tcp_phones=self.tcp_phones)
        self.client.on_lost = lambda serial: self.tracker.refresh_soon()
        self.health = HealthMonitor(self.client, self.tracker, config.health_interval,
                                    config.hot_temperature, config.cool_temperature,
                                    timeout=min(10.0, config.adb_timeout),
                                    package=config.app_package)
        self.client.on_timeout = self.health.check_soon
        self._reconnect_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="adb-reconnect")
        self._reconnecting: set[str] = set()
        self._lock = threading.Lock()
        self._watch = BackgroundLoop("adb-reconnect", self._watch_tcp, interval=RECONNECT_EVERY,
                                     wait_first=True)
        self.started = False

    def start(self) -> None:
        """Start the adb server (raises AdbServerDown), tracking, health, and reconnect TCP phones."""
        self.server.start()
        self.tracker.start()
        self.health.start()
        self._watch.start()
        self.started = True
        self.reconnect_all()

    def stop(self) -> None:
        self._watch.stop(5)
        self.health.stop()
        self.tracker.stop()
        self._reconnect_pool.shutdown(wait=False, cancel_futures=True)
        self.server.stop()
        # With the server gone, calls still in flight (a reconnect, a health check on a stalled
        # phone) fail at once: wait for them, so no worker outlives the stop and then writes the
        # remembered phones to a closed store.
        self._reconnect_pool.shutdown(wait=True)
        self.health.join()
        self.started = False

    # --- TCP phones ---
    def _after_restart(self) -> None:
        log.info("adb server restarted; reconnecting %d TCP phone(s)", len(self.tcp_phones.list()))
        self.reconnect_all()

    def reconnect_all(self, only_dropped: bool = False) -> None:
        """Connect every remembered TCP address again, in parallel, without waiting."""
        for address in self.tcp_phones.list():
            if only_dropped:
                info = self.tracker.get(address)
                # A stalled phone stays attached: a new connection would not answer either.
                if info is not None and info.state in ("device", "stalled", "unauthorized",
                                                       "unknown"):
                    continue
            with self._lock:
                if address in self._reconnecting:
                    continue
                self._reconnecting.add(address)
            try:
                self._reconnect_pool.submit(self._reconnect, address)
            except RuntimeError:  # stopping
                return

    def _reconnect(self, address: str) -> None:
        try:
            info = self.tracker.get(address)
            if info is not None and info.state == "offline":
                # adb 29 keeps a dropped TCP phone "offline" and retries it only every ~10 s;
                # `connect` then says "already connected". Dropping the stale transport first
                # brings a phone that is back online at once.
                try:
                    self.client.disconnect(address, timeout=CONNECT_TIMEOUT, forget=False)
                except DeviceError:
                    pass
            # forget nothing here: a failed attempt keeps the address for the next round
            self.client.connect(address, timeout=CONNECT_TIMEOUT)
        except DeviceUnauthorized:
            self.tracker.refresh_soon()   # adb lists it unauthorized now; its stream will not say
        except DeviceError as exc:
            log.debug("reconnect of %s failed: %s", address, exc.message)
        finally:
            with self._lock:
                self._reconnecting.discard(address)

    def _watch_tcp(self) -> float:
        """The reconnect loop's pass, every RECONNECT_EVERY seconds: dropped TCP phones again."""
        if self.tracker.mode != "idle":
            self.reconnect_all(only_dropped=True)
        return RECONNECT_EVERY
