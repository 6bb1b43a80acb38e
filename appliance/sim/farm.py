"""SimFarm: many simulated phones in one process, on consecutive ports or on free ports, with
app builds and locales assigned round robin and shared phone settings (see SimPhone).

Built and started from the caller's thread; each phone then runs on its own adbd threads.
"""

from __future__ import annotations

from collections.abc import Callable

from appliance.sim.phone import ADB_PORT_PROBE_RANGE, SimPhone


class SimFarm:
    def __init__(self, count: int = 5, base_port: int | None = None, seed: int = 1, *,
                 ui_factory: Callable | None = None, reboot_delay: float = 1.0,
                 serial_prefix: str = "SIM", accounts: list[str] | None = None,
                 app_build: int | list[int] | None = None, locale: str | list[str] = "en",
                 phone_settings: dict | None = None):
        if base_port is not None:
            ports = range(base_port, base_port + count)
            if any(port in ADB_PORT_PROBE_RANGE for port in ports) or base_port < 1 or ports[-1] > 65535:
                raise ValueError(f"ports {base_port}-{base_port + count - 1} overlap 5555-5585 "
                                 "(probed by the adb server) or leave 1-65535")
        self.count = count
        self.base_port = base_port
        self.seed = seed
        builds = _round_robin(1 if app_build is None else app_build)
        locales = _round_robin(locale)
        self.phones: list[SimPhone] = [
            SimPhone(f"{serial_prefix}{index + 1:04d}", seed=seed,
                     port=0 if base_port is None else base_port + index,
                     ui_factory=ui_factory, reboot_delay=reboot_delay, accounts=accounts,
                     app_build=builds[index % len(builds)], locale=locales[index % len(locales)],
                     **(phone_settings or {}))
            for index in range(count)
        ]
        self._by_serial = {phone.serial: phone for phone in self.phones}
        self.started = False

    def start(self) -> SimFarm:
        if self.started:
            return self
        started = []
        try:
            for phone in self.phones:
                phone.start()
                started.append(phone)
        except OSError:
            for phone in started:
                phone.stop()
            raise
        self.started = True
        return self

    def stop(self) -> None:
        for phone in self.phones:
            phone.stop()
        self.started = False

    def phone(self, serial: str) -> SimPhone:
        try:
            return self._by_serial[serial]
        except KeyError:
            raise KeyError(f"no simulated phone {serial!r}") from None

    def addresses(self) -> list[str]:
        return [phone.address for phone in self.phones]

    def __enter__(self) -> SimFarm:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __iter__(self):
        return iter(self.phones)

    def __len__(self) -> int:
        return len(self.phones)


def _round_robin(value) -> list:
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise ValueError("an empty list of app builds or locales")
    return values
