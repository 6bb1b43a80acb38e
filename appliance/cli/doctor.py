"""`appliance doctor`: checks the box for what usually breaks a phone hub, with a fix for each,
and (when the hub runs) each phone's TikTok app, ADB keyboard and why it gets no tasks.

Each check returns a `Finding`; any failure makes the exit code 1, a warning (a phone that needs
something installed) does not. The places it looks (udev folders, unit path, service user,
clock) are module attributes so tests can point them at temporary files. Main thread only.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from appliance.cli.hubclient import HubClient, HubDown, HubError, echo_json
from appliance.config import Config

UDEV_DIRS = [Path("/etc/udev/rules.d"), Path("/lib/udev/rules.d"), Path("/usr/lib/udev/rules.d")]
UNIT_PATH = Path("/etc/systemd/system/appliance.service")
SERVICE_USER = "appliance"
GROUP = "plugdev"
MIN_YEAR = 2024


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Finding:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False   # ok, but something to act on (a phone missing the app)


# --- adb ---

def _adb_version(path: str) -> str | None:
    try:
        out = subprocess.run([path, "version"], capture_output=True, text=True, timeout=10,
                             check=False).stdout   # a failing adb prints no version: None
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"^Version (\S+)", out, re.M) or re.search(r"version (\S+)", out)
    return match.group(1) if match else None


def _adbs_on_path() -> list[str]:
    seen: dict[str, str] = {}
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(folder or ".", "adb")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            seen.setdefault(os.path.realpath(candidate), candidate)
    return list(seen.values())


def check_adb(config: Config) -> list[Finding]:
    if not config.adb_enabled:
        return [Finding("adb", True, "adb is disabled in the config (adb_enabled = false)")]
    configured = shutil.which(config.adb_path)
    if configured is None:
        return [Finding("adb", False, f"adb_path {config.adb_path!r} is not an executable on PATH",
                        "install it (sudo apt-get install adb) or set adb_path to the adb binary")]
    version = _adb_version(configured)
    findings = [Finding("adb", version is not None,
                        f"{configured} (version {version})" if version
                        else f"{configured} does not answer `adb version`",
                        "" if version else "reinstall adb (sudo apt-get install --reinstall adb)")]
    versions = {path: _adb_version(path) for path in _adbs_on_path()}
    if version is not None:
        versions.setdefault(configured, version)
    distinct = {v for v in versions.values() if v}
    listed = ", ".join(f"{p} ({v or '?'})" for p, v in versions.items())
    findings.append(Finding(
        "one adb version", len(distinct) <= 1,
        f"adb on PATH: {listed}" if len(distinct) <= 1 else f"several adb versions: {listed}",
        "" if len(distinct) <= 1 else
        "remove all but one (two versions kill each other's server and drop every phone), "
        "or keep them off PATH and point adb_path at one"))
    return findings


# --- udev, groups ---

def check_udev() -> Finding:
    for folder in UDEV_DIRS:
        for rule in sorted(folder.glob("*.rules")) if folder.is_dir() else []:
            try:
                text = rule.read_text(errors="replace")
            except OSError:
                continue
            if "ff4201" in text or ("android" in rule.name.lower() and GROUP in text):
                return Finding("udev rule", True, f"{rule}")
    return Finding("udev rule", False,
                   f"no udev rule gives Android phones to group {GROUP} "
                   f"(looked in {', '.join(map(str, UDEV_DIRS))})",
                   "sudo install -m 644 config/51-android.rules /etc/udev/rules.d/ && "
                   "sudo udevadm control --reload-rules && sudo udevadm trigger (then replug)")


def _in_group(user: str, gid: int, members: list[str]) -> bool:
    try:
        return pwd.getpwnam(user).pw_gid == gid or user in members
    except KeyError:
        return False


def check_groups() -> list[Finding]:
    try:
        group = grp.getgrnam(GROUP)
    except KeyError:
        return [Finding(f"group {GROUP}", False, f"group {GROUP} does not exist",
                        f"sudo groupadd --system {GROUP}")]
    findings = []
    uid = os.geteuid()
    if uid == 0:
        findings.append(Finding("current user", True, f"root can open USB devices without {GROUP}"))
    else:
        name = pwd.getpwuid(uid).pw_name
        ok = group.gr_gid in os.getgroups() or _in_group(name, group.gr_gid, group.gr_mem)
        findings.append(Finding("current user", ok, f"{name} is {'' if ok else 'not '}in {GROUP}",
                                "" if ok else f"sudo usermod -aG {GROUP} {name}, then log in again"))
    if UNIT_PATH.exists():
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            findings.append(Finding("service user", False, f"{UNIT_PATH} runs as {SERVICE_USER}, "
                                    "which does not exist",
                                    f"sudo useradd --system --user-group --groups {GROUP} "
                                    f"--shell /usr/sbin/nologin {SERVICE_USER} (or `sudo make install`)"))
        else:
            ok = _in_group(SERVICE_USER, group.gr_gid, group.gr_mem)
            findings.append(Finding("service user", ok,
                                    f"{SERVICE_USER} is {'' if ok else 'not '}in {GROUP}",
                                    "" if ok else f"sudo usermod -aG {GROUP} {SERVICE_USER} && "
                                    "sudo systemctl restart appliance"))
    return findings


# --- ports ---

def _port_free(host: str, port: int) -> bool:
    """False when something listens there; OSError when the address cannot be bound at all."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not "in use"
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def _adb_server_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"000chost:version")
            return sock.recv(4) == b"OKAY"
    except OSError:
        return False


def check_ports(config: Config, seen: dict | None = None) -> list[Finding]:
    """The API and adb ports; `seen["hub"]` tells later checks whether the hub runs here."""
    hub = HubClient(config, timeout=3)
    answers: list[bool] = []
    seen = {} if seen is None else seen
    seen["hub"] = False

    def hub_up() -> bool:  # asked only when a port is taken: a free port needs no HTTP call
        if not answers:
            answers.append(hub.health() is not None)
            seen["hub"] = answers[0]
        return answers[0]

    findings = []
    host = "0.0.0.0" if config.host in ("", "*") else config.host
    try:
        free = config.port == 0 or _port_free(host, config.port)
    except OSError as exc:
        return [Finding("API port", False, f"cannot listen on {host}:{config.port} ({exc.strerror})",
                        "set host to an address of this machine, or 0.0.0.0 for all")]
    if free:
        findings.append(Finding("API port", True, f"{host}:{config.port} is free"))
    elif hub_up():
        findings.append(Finding("API port", True, f"{config.port} is the running hub's ({hub.url})"))
    else:
        findings.append(Finding("API port", False, f"port {config.port} is taken by another program",
                                f"find it with `ss -ltnp 'sport = :{config.port}'` and stop it, "
                                "or set port in the config"))
    if not config.adb_enabled:
        findings.append(Finding("adb port", True, "adb is disabled in the config"))
    elif _port_free("127.0.0.1", config.adb_port):
        findings.append(Finding("adb port", True, f"{config.adb_port} is free"))
    elif hub_up():
        findings.append(Finding("adb port", True, f"{config.adb_port}: the running hub's adb server"))
    elif _adb_server_answers(config.adb_port):
        findings.append(Finding("adb port", False,
                                f"an adb server that is not the hub's holds port {config.adb_port}",
                                f"stop it with `adb -P {config.adb_port} kill-server` (and do not run "
                                "`adb` by hand beside the hub), or set adb_port"))
    else:
        findings.append(Finding("adb port", False, f"port {config.adb_port} is taken by another program",
                                f"find it with `ss -ltnp 'sport = :{config.adb_port}'`, or set adb_port"))
    return findings


# --- state, clock ---

def check_state_dir(config: Config) -> Finding:
    state_dir = Path(config.state_dir)
    existing = state_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(existing))
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Finding("state directory", False, f"{state_dir} is not writable ({exc.strerror})",
                       f"sudo install -d -o {SERVICE_USER} -g {SERVICE_USER} -m 750 {state_dir} "
                       "(systemd's StateDirectory= does this for the service), or set state_dir")
    what = "writable" if existing == state_dir else f"can be created (in {existing})"
    return Finding("state directory", True, f"{state_dir} {what}")


def check_clock() -> Finding:
    current = now()
    if current.year >= MIN_YEAR:
        return Finding("clock", True, current.isoformat(timespec="seconds"))
    return Finding("clock", False, f"the clock says {current.isoformat(timespec='seconds')}",
                   "set the time: sudo timedatectl set-ntp true (a Pi has no battery clock and "
                   "needs network time); start_time tasks and logs depend on it")


# --- phones (through the running hub) ---

PREPARING = "see README, 'Preparing a phone'"
KEYBOARD_FIX = ("adb install ADBKeyboard.apk, then `adb shell ime enable com.android.adbkeyboard/.AdbIME` "
                "and `adb shell ime set com.android.adbkeyboard/.AdbIME`")


def _phone_finding(device: dict) -> Finding:
    serial = device.get("serial", "?")
    health = device.get("health") or {}
    app = health.get("app") or {}
    package = app.get("package") or "the TikTok app"
    keyboard = health.get("keyboard_installed")
    problems, fixes = [], []
    if device.get("state") == "device" and app.get("installed") is False:
        problems.append(f"TikTok ({package}) is not installed")
        fixes.append(f"install {package} from the Play Store and log in ({PREPARING})")
    if device.get("state") == "device" and keyboard is False:
        problems.append("the ADB keyboard (com.android.adbkeyboard) is not installed")
        fixes.append(KEYBOARD_FIX)
    if problems:
        return Finding(f"phone {serial}", True, "; ".join(problems) + ": it gets no tasks",
                       "; ".join(fixes) + "; the hub sees the change at its next health check",
                       warning=True)
    if not device.get("usable"):
        return Finding(f"phone {serial}", True,
                       f"gets no tasks: {device.get('unusable_reason') or 'not usable'}",
                       warning=True)
    if app.get("installed") is None:
        return Finding(f"phone {serial}", True, "usable; the app and the ADB keyboard are not "
                                                "checked yet (the first health check runs soon)")
    version = app.get("version") or "version unknown"
    return Finding(f"phone {serial}", True, f"usable: {package} {version}, ADB keyboard "
                                            f"{'installed' if keyboard else 'not checked'}")


def check_phones(config: Config, hub_running: bool = True) -> list[Finding]:
    """Each phone the running hub knows; nothing to say when no hub runs or adb is off."""
    if not config.adb_enabled:
        return [Finding("phones", True, "adb is disabled in the config (adb_enabled = false)")]
    hub = HubClient(config, timeout=10)
    if not hub_running:
        return [Finding("phones", True, f"not checked: no hub answers at {hub.url} (start it to "
                                        "check each phone's app and ADB keyboard)")]
    try:
        data = hub.call("GET", "/device")
    except HubDown:
        return [Finding("phones", True, f"not checked: no hub answers at {hub.url} (start it to "
                                        "check each phone's app and ADB keyboard)")]
    except HubError as exc:
        if exc.code == 50301:   # the running hub has adb turned off
            return [Finding("phones", True, f"not checked: {exc.message}")]
        return [Finding("phones", True, f"not checked: the hub answered {exc.message}",
                        "run doctor as the hub's user (sudo) so it can read the hub's token",
                        warning=True)]
    except click.ClickException as exc:
        return [Finding("phones", True, f"not checked: {exc.message}", warning=True)]
    devices = (data.get("devices") or []) if isinstance(data, dict) else []
    if not devices:
        return [Finding("phones", True, "the hub knows no phones yet: plug one in, or "
                                        "`appliance devices connect HOST:PORT`")]
    return [_phone_finding(device) for device in devices]


def running_link(config: Config) -> tuple[str, bool | None] | None:
    """(who, connected) of this box's hub or gateway when one answers at the configured port,
    from its own API (the gateway's /healthz, a hub's /license/check); connected None when it
    could not be read. None when nothing runs here."""
    client = HubClient(config, timeout=3)
    health = client.health()
    if health is None:
        return None
    if health.get("role") == "gateway":
        broker = health.get("broker")
        return "the running gateway", broker if isinstance(broker, bool) else None
    who = f"the running hub {config.fleet_hub}"
    try:
        data = client.call("GET", "/license/check")
    except (HubDown, HubError, click.ClickException):
        return who, None
    fleet = data.get("fleet") if isinstance(data, dict) else None
    connected = fleet.get("broker_connected") if isinstance(fleet, dict) else None
    return who, connected if isinstance(connected, bool) else None


def check_broker(config: Config) -> list[Finding]:
    """The fleet's broker (issue 17), when this box is in a fleet. The broker maps each user to
    one client id (`use_username_as_clientid`), so a probe logging in as this box's user would
    take over the session of the hub or gateway running here: while one runs, its own view of
    the link is asked instead. The probe (log in within 5 s) runs only when none runs, or when
    the running one says it is not connected (then the probe tells why)."""
    if not config.fleet_broker:
        return []
    from appliance.fleet.probe import probe_broker

    fix = ("see README \"Many hubs\": the broker's password_file and acl_file, and "
           "fleet_broker / fleet_password in this box's config")
    running = running_link(config)
    if running is not None:
        who, connected = running
        if connected:
            return [Finding("fleet broker", True, f"{who} is connected to {config.fleet_broker}")]
        if connected is None:
            return [Finding("fleet broker", True, f"not checked: {who} did not say whether it is "
                                                  "connected, and logging in as its broker user "
                                                  "would take over its session",
                            "run doctor as the hub's user (sudo) so it can read the API token",
                            warning=True)]
    problem = probe_broker(config, timeout=5.0)
    if problem is None:
        if running is not None:
            return [Finding("fleet broker", False, f"{running[0]} is not connected to "
                                                   f"{config.fleet_broker}, though the broker "
                                                   "takes its credentials",
                            "see its log (journalctl -u appliance, or -u appliance-gateway)")]
        return [Finding("fleet broker", True, f"{config.fleet_broker} accepts this box's user")]
    if running is not None:
        problem = f"{running[0]} is not connected: {problem}"
    return [Finding("fleet broker", False, problem, fix)]


def run_checks(config: Config) -> list[Finding]:
    seen: dict[str, Any] = {}
    checks: list[Callable[[], Finding | list[Finding]]] = [
        lambda: check_adb(config), check_udev, check_groups, lambda: check_ports(config, seen),
        lambda: check_state_dir(config), check_clock,
        lambda: check_phones(config, seen.get("hub", True)), lambda: check_broker(config)]
    findings: list[Finding] = []
    for check in checks:
        result = check()
        findings.extend(result if isinstance(result, list) else [result])
    return findings


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_context
def doctor(ctx: click.Context, as_json: bool) -> None:
    """Check adb, udev rule, plugdev, ports, state directory and clock, each phone of the
    running hub (TikTok app, ADB keyboard) and, in a fleet, the broker; exit 1 on any failure
    (a phone's warning is not one)."""
    findings = run_checks(ctx.obj.get())
    if as_json:
        echo_json([asdict(f) for f in findings])
    else:
        for f in findings:
            label = "FAIL" if not f.ok else "warn" if f.warning else "ok  "
            click.echo(f"{label}  {f.name:<16} {f.detail}")
            if f.fix and (not f.ok or f.warning):
                click.echo(f"      {'':<16} fix: {f.fix}")
        failed = sum(not f.ok for f in findings)
        warned = sum(f.ok and f.warning for f in findings)
        summary = f"{failed} problem(s) found" if failed else "all checks passed"
        click.echo(summary + (f", {warned} warning(s)" if warned else ""))
    if any(not f.ok for f in findings):
        raise SystemExit(1)


commands = [doctor]
