"""The hub's settings: one declarative table, read once at start and passed in as a `Config`.

Sources, later wins: the table's defaults, a TOML file (`config/appliance.toml` is the shipped
default), environment variables `APPLIANCE_<NAME>`. An unknown key or a bad value raises
`ConfigError` with a sentence that names it. Nothing here is a global: callers hold the Config.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.errors import ConfigError

PLANS = ("Starter", "Pro", "Team", "Business")
ENV_PREFIX = "APPLIANCE_"


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _int(low: int | None = None, high: int | None = None) -> Callable[[object], int]:
    def convert(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError("expected a whole number")
        try:
            number = int(value)
        except ValueError:
            raise ValueError("expected a whole number") from None
        if low is not None and number < low:
            raise ValueError(f"must be at least {low}")
        if high is not None and number > high:
            raise ValueError(f"must be at most {high}")
        return number

    return convert


def _float(low: float | None = None) -> Callable[[object], float]:
    def convert(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError("expected a number")
        try:
            number = float(value)
        except ValueError:
            raise ValueError("expected a number") from None
        if not math.isfinite(number):
            raise ValueError("expected a finite number")
        if low is not None and number < low:
            raise ValueError(f"must be at least {low}")
        return number

    return convert


def _str(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("expected a non-empty string")
    return value


def _path(value: object) -> Path:
    return Path(_str(value)).expanduser()


def _choice(*choices: str) -> Callable[[object], str]:
    def convert(value: object) -> str:
        if isinstance(value, str) and value.strip().lower() in choices:
            return value.strip().lower()
        raise ValueError(f"expected one of {', '.join(choices)}")

    return convert


def _names(value: object) -> tuple[str, ...]:
    """Host names the hub answers to (the Host header's name part), lower-cased."""
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    if not isinstance(value, (list, tuple)):
        raise ValueError("expected a list of host names such as [\"hub.local\"]")
    out = []
    for item in value:
        name = str(item).strip().lower().rstrip(".")
        if not name or any(c in name for c in "/:@ \t"):
            raise ValueError(f"{item!r} is not a host name (write it as hub.local, without port)")
        out.append(name)
    return tuple(out)


def _host(value: object) -> str:
    """The address to bind: an IPv4 or IPv6 address (0.0.0.0 for every interface)."""
    text = _str(value).strip()
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        raise ValueError("expected an IP address such as 0.0.0.0 (every interface) or "
                         "127.0.0.1 (this box only)") from None


def default_state_dir() -> str:
    """An absolute folder that does not depend on where a command is started: XDG's state
    folder of the user (systemd's unit sets /var/lib/appliance instead)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                            "state")
    return os.path.join(os.path.abspath(base), "appliance")


def _timezone(value: object) -> str:
    """"" (the box's local zone) or an IANA zone name such as Europe/Paris."""
    if not isinstance(value, str):
        raise ValueError("expected an IANA zone name such as \"Europe/Paris\", or \"\" for the box's zone")
    name = value.strip()
    if name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not a known time zone (write it as Europe/Paris, "
                             "America/New_York or UTC)") from None
    return name


def _plan(value: object) -> str:
    for plan in PLANS:
        if isinstance(value, str) and value.strip().lower() == plan.lower():
            return plan
    raise ValueError(f"expected one of {', '.join(PLANS)}")


def _networks(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    if not isinstance(value, (list, tuple)):
        raise ValueError("expected a list of networks such as [\"192.168.1.0/24\"]")
    out = []
    for item in value:
        try:
            out.append(str(ipaddress.ip_network(str(item), strict=False)))
        except ValueError:
            raise ValueError(f"{item!r} is not a network (write it as 192.168.1.0/24)") from None
    return tuple(out)


APP_PACKAGES = {"musically": "com.zhiliaoapp.musically", "trill": "com.ss.android.ugc.trill"}


def _app_package(value: object) -> str:
    """The short names musically and trill, or their full package names; keeps the full name."""
    if isinstance(value, str):
        name = value.strip()
        if name.lower() in APP_PACKAGES:
            return APP_PACKAGES[name.lower()]
        if name in APP_PACKAGES.values():
            return name
    choices = ", ".join(list(APP_PACKAGES) + list(APP_PACKAGES.values()))
    raise ValueError(f"expected one of {choices}")


def _broker(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("expected mqtt://HOST:PORT, mqtts://HOST:PORT or \"\"")
    if value == "":
        return value
    from urllib.parse import urlsplit
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError("expected mqtt://HOST:PORT or mqtts://HOST:PORT") from None
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname or parts.path not in ("", "/") \
            or parts.username or parts.query:
        raise ValueError("expected mqtt://HOST:PORT or mqtts://HOST:PORT (no user, path or query)")
    return f"{parts.scheme}://{parts.hostname}:{port or (8883 if parts.scheme == 'mqtts' else 1883)}"


def _any_str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    convert: Callable[[object], Any]  # each setting converts to its own type (see Config)
    help: str


SETTINGS: tuple[Setting, ...] = (
    # --- server ---
    Setting("host", "0.0.0.0", _host, "Address the API binds to (an IP address)."),
    Setting("port", 50809, _int(0, 65535), "Port of the API (TikMatrix clients expect 50809)."),
    Setting("threads", 8, _int(1, 64), "Request threads of the web server."),
    Setting("max_body_bytes", 1048576, _int(1024), "Largest request body accepted (41301 above)."),
    Setting("max_material_bytes", 268435456, _int(1024),
            "Largest material upload (POST /material) accepted (41301 above); other requests "
            "keep max_body_bytes."),
    Setting("shutdown_timeout", 10.0, _float(0), "Seconds a graceful stop waits for requests."),
    Setting("connection_limit", 256, _int(8, 10000),
            "Open connections the API holds at most; beyond it new ones wait in the backlog."),
    Setting("connections_per_address", 32, _int(1, 10000),
            "Open connections one client address may hold; more are closed at once."),
    Setting("idle_timeout", 30.0, _float(1),
            "Seconds a connection may stay open without sending a request."),
    Setting("request_timeout", 15.0, _float(1),
            "Seconds a client has to send a whole request once it starts (slow senders dropped)."),
    Setting("server_names", (), _names,
            "Host names the hub answers to without a token, besides loopback names and its own "
            "addresses (e.g. [\"hub.local\"]); requests naming another host need the token."),
    Setting("event_subscribers", 8, _int(1, 64),
            "Clients that may follow GET /api/v1/events at once (503 beyond)."),
    Setting("event_buffer", 1000, _int(10, 100000),
            "Recent events kept so a client that reconnects with Last-Event-ID misses none."),
    Setting("timezone", "", _timezone,
            "Time zone of schedules and start times: \"\" for the box's own, or an IANA name "
            "such as \"Europe/Paris\"."),
    Setting("schedule_grace", 600, _int(1, 86400),
            "Seconds a schedule's run may come late: one missed while the hub was down runs "
            "once at start if it is at most this old, else it is skipped (and logged)."),
    # --- logging ---
    Setting("log_level", "info", _choice("debug", "info", "warning", "error"),
            "Least severe log lines written: debug, info, warning or error."),
    Setting("log_format", "text", _choice("text", "json"),
            "Log lines as text or as one JSON object per line."),
    Setting("access_log", False, _bool,
            "Log one line per HTTP request (method, path, code, time) at level info; off by "
            "default, as a polling client would write a line a second to the box's journal."),
    # --- state and access ---
    Setting("state_dir", default_state_dir(), _path,
            "Folder of the store, token and adb key (default: ~/.local/state/appliance)."),
    Setting("plan", "Pro", _plan, "License plan: Starter (no API), Pro, Team or Business."),
    Setting("trusted_networks", (), _networks,
            "Networks whose requests need no token, besides loopback (e.g. [\"10.0.0.0/8\"])."),
    # --- adb and devices ---
    Setting("adb_enabled", True, _bool,
            "Start the adb server and run tasks on phones (off: API and store only)."),
    Setting("adb_path", "adb", _str, "The adb binary the hub starts its server from."),
    Setting("adb_port", 5037, _int(1, 65535), "Port of the hub's own adb server."),
    Setting("adb_timeout", 30.0, _float(0.1), "Default deadline of one adb call, in seconds."),
    Setting("track_poll_interval", 2.0, _float(0.1),
            "Seconds between device polls when track-devices is unavailable."),
    Setting("health_interval", 30.0, _float(1), "Seconds between health checks of each phone."),
    Setting("hot_temperature", 45.0, _float(0), "Battery temperature (C) above which a phone rests."),
    Setting("cool_temperature", 40.0, _float(0), "Temperature (C) under which a hot phone works again."),
    Setting("shell_api_enabled", False, _bool, "Allow POST /api/v1/device/{serial}/shell."),
    Setting("app_package", "com.zhiliaoapp.musically", _app_package,
            "The TikTok app on the phones: \"musically\" (com.zhiliaoapp.musically, international) "
            "or \"trill\" (com.ss.android.ugc.trill, Asia); full package names work too; a phone "
            "without it gets no tasks."),
    # --- engine ---
    Setting("auto_retry", False, _bool, "Retry failed tasks automatically."),
    Setting("max_retry_count", 3, _int(1, 10),
            "Most retries of one task, automatic and manual together (TikMatrix's setting): a "
            "task retried this many times is not retried again."),
    Setting("retry_delay_min", 5.0, _float(0), "Shortest auto-retry delay, in seconds."),
    Setting("retry_delay_max", 60.0, _float(0), "Longest auto-retry delay, in seconds."),
    Setting("random_order", False, _bool,
            "Start each phone's pending tasks in a random order instead of oldest first."),
    Setting("task_timeout", 3600.0, _float(1), "Longest a task may run before it is stopped."),
    Setting("stop_grace", 10.0, _float(0.1),
            "Seconds a stopped script has to end before it is abandoned."),
    Setting("log_lines_per_task", 200, _int(10, 10000), "Log lines kept per task (oldest dropped)."),
    # --- scripts and storage ---
    Setting("media_dir", "media", _path,
            "Folder of media files for posts; relative paths are under state_dir."),
    Setting("retention_days", 30, _int(0), "Finished tasks older than this are archived (0: never)."),
    Setting("archive_keep_days", 365, _int(0),
            "Archive files older than this are deleted (0: kept forever)."),
    # --- fleet (many hubs behind one gateway, over an MQTT broker; README "Many hubs") ---
    Setting("fleet_broker", "", _broker,
            "MQTT broker of the fleet, as mqtt://HOST:PORT or mqtts://HOST:PORT (TLS); \"\" "
            "(the default): this hub is on its own."),
    Setting("fleet_hub", 0, _int(0, 63),
            "This hub's number in the fleet, 1 to 63, never reused (0: not in a fleet); its "
            "broker user is hub-N and its task ids at the gateway end in N (id % 64)."),
    Setting("fleet_password", "", _any_str,
            "Password of this hub's (or the gateway's) broker user; keep it in a file only its "
            "owner may read."),
    Setting("fleet_ca_file", "", _any_str,
            "CA certificate file for mqtts:// (\"\": the system's certificates)."),
    Setting("fleet_keepalive", 10, _int(2, 300),
            "Seconds between MQTT keep-alives; a hub that stops answering is offline after 1.5 "
            "times this."),
    Setting("fleet_heartbeat", 10.0, _float(0.2),
            "Seconds between a hub's published stats (its heartbeat to the gateway)."),
    Setting("fleet_stale_after", 30.0, _float(1),
            "Gateway: a hub whose last heartbeat is older than this is reported stale and gets "
            "no new tasks (50301)."),
    Setting("fleet_request_timeout", 5.0, _float(0.5),
            "Gateway: seconds a hub has to answer a request before the client gets 50301."),
)

_BY_NAME = {s.name: s for s in SETTINGS}

_DEFAULT_STATE_DIR = _path(default_state_dir())


@dataclass(frozen=True)
class Config:
    """The hub's settings, read once at start (see SETTINGS for each one's meaning and check).

    Fields and defaults mirror SETTINGS one to one (tests/test_config.py checks it): the table
    says how a value is read and what it means, this class says what type the code gets.
    """

    host: str = "0.0.0.0"
    port: int = 50809
    threads: int = 8
    max_body_bytes: int = 1048576
    max_material_bytes: int = 268435456
    shutdown_timeout: float = 10.0
    connection_limit: int = 256
    connections_per_address: int = 32
    idle_timeout: float = 30.0
    request_timeout: float = 15.0
    server_names: tuple[str, ...] = ()
    event_subscribers: int = 8
    event_buffer: int = 1000
    timezone: str = ""
    schedule_grace: int = 600
    log_level: str = "info"
    log_format: str = "text"
    access_log: bool = False
    state_dir: Path = _DEFAULT_STATE_DIR
    plan: str = "Pro"
    trusted_networks: tuple[str, ...] = ()
    adb_enabled: bool = True
    adb_path: str = "adb"
    adb_port: int = 5037
    adb_timeout: float = 30.0
    track_poll_interval: float = 2.0
    health_interval: float = 30.0
    hot_temperature: float = 45.0
    cool_temperature: float = 40.0
    shell_api_enabled: bool = False
    app_package: str = "com.zhiliaoapp.musically"
    auto_retry: bool = False
    max_retry_count: int = 3
    retry_delay_min: float = 5.0
    retry_delay_max: float = 60.0
    random_order: bool = False
    task_timeout: float = 3600.0
    stop_grace: float = 10.0
    log_lines_per_task: int = 200
    media_dir: Path = Path("media")
    retention_days: int = 30
    archive_keep_days: int = 365
    fleet_broker: str = ""
    fleet_hub: int = 0
    fleet_password: str = ""
    fleet_ca_file: str = ""
    fleet_keepalive: int = 10
    fleet_heartbeat: float = 10.0
    fleet_stale_after: float = 30.0
    fleet_request_timeout: float = 5.0

    def replace(self, **changes: object) -> Config:
        """A copy with `changes` applied, each converted and checked as a setting is."""
        return _replace(self, changes)

    @property
    def media_path(self) -> Path:
        return self.state_dir / self.media_dir


def _convert(name: str, value: object, source: str) -> Any:
    setting = _BY_NAME.get(name)
    if setting is None:
        known = ", ".join(sorted(_BY_NAME))
        raise ConfigError(f"Unknown setting {name!r} in {source}. Known settings: {known}.")
    try:
        return setting.convert(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"Bad value {value!r} for setting {name!r} in {source}: {exc}.") from None


def _replace(config: Config, changes: Mapping[str, object]) -> Config:
    converted = {name: _convert(name, value, "overrides") for name, value in changes.items()}
    return _check(dataclasses.replace(config, **converted))


def _check(config: Config) -> Config:
    if config.cool_temperature > config.hot_temperature:
        raise ConfigError("Setting 'cool_temperature' must not be above 'hot_temperature'.")
    if config.retry_delay_min > config.retry_delay_max:
        raise ConfigError("Setting 'retry_delay_min' must not be above 'retry_delay_max'.")
    return config


def load_config(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Build the Config from defaults, the TOML file at `path`, `APPLIANCE_*` env and overrides.

    `APPLIANCE_CONFIG` in env names the file when `path` is None. Raises ConfigError.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = path or env.get(ENV_PREFIX + "CONFIG") or None
    if path is not None:
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Config file {path} does not exist; pass an existing file.") from None
        except OSError as exc:
            raise ConfigError(f"Config file {path} cannot be read ({exc.strerror}); check its "
                              "permissions, or run the command as a user that may read it.") from None
        except UnicodeDecodeError:
            raise ConfigError(f"Config file {path} is not UTF-8 text; save it as UTF-8.") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"Config file {path} is not valid TOML: {exc}.") from None
        for name, value in raw.items():
            values[name] = _convert(name, value, str(path))
    for key, value in env.items():
        if key.startswith(ENV_PREFIX) and key != ENV_PREFIX + "CONFIG":
            name = key[len(ENV_PREFIX):].lower()
            values[name] = _convert(name, value, f"environment variable {key}")
    for name, value in (overrides or {}).items():
        values[name] = _convert(name, value, "command-line options")
    return _check(Config(**values))
