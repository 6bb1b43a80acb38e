"""A real Debian `mosquitto` for the fleet tests: free loopback port, users, the spec's ACL.

`Broker` writes a config, a password file (`mosquitto_passwd -b`) and the ACL into a private
directory, starts `mosquitto -c` as a child it owns by pid and waits for the port. Used from the
test thread only; `stop()`/`kill()`/`restart()` keep the same port and files.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from appliance.devices.ports import free_port

ACL = """\
user gateway
topic readwrite appliance/v1/#

pattern write appliance/v1/hub/%u/status
pattern write appliance/v1/hub/%u/info
pattern write appliance/v1/hub/%u/devices
pattern write appliance/v1/hub/%u/accounts
pattern write appliance/v1/hub/%u/stats
pattern write appliance/v1/hub/%u/events
pattern read appliance/v1/hub/%u/req
pattern read appliance/v1/hub/%u/quota
pattern write appliance/v1/gw/+/resp/%u
"""
# Test-only users that read and write everything (watchers, probes, bench links): with
# `use_username_as_clientid true` every connection of one user has the same client id, so a
# test client logged in as `gateway` or `hub-N` would take over the real one's session.
OBSERVERS = 8


class BrokerMissing(RuntimeError):
    """`mosquitto` or `mosquitto_passwd` is not installed."""


def mosquitto_path() -> str | None:
    """The `mosquitto` binary (Debian puts it in /usr/sbin, often not on PATH), or None."""
    found = shutil.which("mosquitto")
    if found:
        return found
    for candidate in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def passwd_path() -> str | None:
    found = shutil.which("mosquitto_passwd")
    if found:
        return found
    for candidate in ("/usr/bin/mosquitto_passwd", "/usr/sbin/mosquitto_passwd"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


class Broker:
    """One mosquitto process on 127.0.0.1:<free port> with users `gateway` and `hub-1..hub-N`."""

    def __init__(self, hubs: int = 3, persistence: bool = False, directory: Path | None = None,
                 port: int | None = None, tls: bool = False) -> None:
        binary, passwd = mosquitto_path(), passwd_path()
        if binary is None or passwd is None:
            raise BrokerMissing(
                "mosquitto is not installed: run `apt-get install -y mosquitto mosquitto-clients`")
        self.binary, self.passwd = binary, passwd
        self.hubs = hubs
        self.persistence = persistence
        self.tls = tls   # a private CA and a server certificate for 127.0.0.1 (ca_file)
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._own_dir = directory is None
        self.dir = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="mosq-"))
        self.users: dict[str, str] = {"gateway": secrets.token_hex(8)}
        for n in range(1, hubs + 1):
            self.users[f"hub-{n}"] = secrets.token_hex(8)
        self.observers = [f"observer-{i}" for i in range(1, OBSERVERS + 1)]
        for user in self.observers:
            self.users[user] = secrets.token_hex(8)
        self._observers_given = 0
        self.log_file = self.dir / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._write_files()

    # --- files ---

    def _write_files(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        pw = self.dir / "passwd"
        pw.write_text("")
        for user, password in self.users.items():
            subprocess.run([self.passwd, "-b", str(pw), user, password], check=True,
                           capture_output=True, timeout=30)
        acl = self.dir / "acl"
        acl.write_text("".join(f"user {u}\ntopic readwrite appliance/v1/#\n\n"
                               for u in self.observers) + ACL)
        for f in (pw, acl):
            f.chmod(0o600)
        tls_lines: list[str] = []
        if self.tls:
            self._make_certificates()
            tls_lines = [f"cafile {self.ca_file}", f"certfile {self.dir / 'server.crt'}",
                         f"keyfile {self.dir / 'server.key'}"]
        data = self.dir / "data"
        data.mkdir(exist_ok=True)
        lines = [
            f"listener {self.port} {self.host}",
            *tls_lines,
            "allow_anonymous false",
            # A client's id is its user name: one hub's credentials cannot take over another
            # hub's session by choosing its client id (the README's config has it too).
            "use_username_as_clientid true",
            f"password_file {pw}",
            f"acl_file {acl}",
            f"persistence {'true' if self.persistence else 'false'}",
            f"persistence_location {data}/",
            "set_tcp_nodelay true",
            "log_dest file " + str(self.log_file),
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
        ]
        if os.geteuid() == 0:
            lines.append("user root")
        (self.dir / "mosquitto.conf").write_text("\n".join(lines) + "\n")

    @property
    def ca_file(self) -> Path:
        return self.dir / "ca.crt"

    def _make_certificates(self) -> None:
        def openssl(*args: str) -> None:
            subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60,
                           cwd=self.dir)
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                "/CN=test-ca", "-keyout", "ca.key", "-out", "ca.crt")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                "-keyout", "server.key", "-out", "server.csr")
        (self.dir / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt")
        (self.dir / "server.key").chmod(0o600)

    # --- properties ---

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"

    def password(self, user: str) -> str:
        return self.users[user]

    def observer(self) -> str:
        """A test-only user of its own (read and write everything) for one more test client."""
        if self._observers_given >= len(self.observers) - 1:
            raise RuntimeError(f"more than {len(self.observers) - 1} observers in one test")
        self._observers_given += 1
        return self.observers[self._observers_given - 1]

    @property
    def probe_user(self) -> str:
        """The observer kept for short-lived probes that connect one at a time."""
        return self.observers[-1]

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    # --- lifecycle ---

    def start(self, timeout: float = 10.0) -> Broker:
        if self.running:
            return self
        self.proc = subprocess.Popen([self.binary, "-c", str(self.dir / "mosquitto.conf")],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"mosquitto exited with {self.proc.returncode} at start: "
                                   f"{err.strip()} {self.log()[-2000:]}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"mosquitto did not listen on {self.host}:{self.port} within "
                                   f"{timeout}s: {self.log()[-2000:]}")
            time.sleep(0.05)

    def _end(self, sig: int, timeout: float = 10.0) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        if proc.stderr:
            proc.stderr.close()
        self.proc = None

    def stop(self) -> None:
        """SIGTERM: mosquitto saves its persistence file (when on) and exits."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: nothing saved since the last autosave."""
        self._end(signal.SIGKILL)

    def restart(self, kill: bool = False, timeout: float = 10.0) -> Broker:
        """Stop (SIGTERM, or SIGKILL with kill=True) and start again on the same port and files."""
        if kill:
            self.kill()
        else:
            self.stop()
        # the port may linger a moment after the old process exits
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.start(timeout=max(0.5, deadline - time.monotonic()))
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def close(self) -> None:
        self.kill()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Broker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


class Watcher:
    """A client on the broker (by default an observer user of its own, with the gateway's
    rights: a second `gateway` login would take over the gateway's) that records every message of
    `filter`: `.messages` [(topic, payload)] in arrival order, `.last[topic]`; `wait()` polls
    with a deadline. Built on the product's Link, so it also reconnects by itself."""

    def __init__(self, broker: Broker, user: str | None = None, filter: str = "appliance/v1/#",
                 client_id: str | None = None, password: str | None = None) -> None:
        import threading

        from appliance.fleet.link import Link

        self._lock = threading.Lock()
        user = user or broker.observer()
        self.messages: list[tuple[str, object]] = []
        self.last: dict[str, object] = {}
        self.link = Link(client_id or f"watch-{secrets.token_hex(3)}", user,
                         broker.users.get(user, "") if password is None else password,
                         broker.url, keepalive=5)
        self.link.subscribe(filter, self._got)

    def _got(self, topic: str, payload: object, properties: object) -> None:
        with self._lock:
            self.messages.append((topic, payload))
            self.last[topic] = payload

    def start(self, timeout: float = 10.0) -> Watcher:
        self.link.start()
        if not self.link.wait_subscribed(timeout):
            raise RuntimeError(f"the watcher could not connect and subscribe: {self.link.last_error}")
        return self

    def seen(self, topic: str) -> list[object]:
        with self._lock:
            return [p for t, p in self.messages if t == topic]

    def wait(self, topic: str, predicate=lambda payload: True, timeout: float = 10.0,
             message: str = "") -> object:
        """The latest payload on `topic` for which `predicate` holds, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [p for t, p in self.messages if t == topic and predicate(p)]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                with self._lock:
                    got = [(t, p) for t, p in self.messages if t == topic][-3:]
                raise AssertionError(f"timed out after {timeout}s waiting for {message or topic}; "
                                     f"last seen there: {got}")
            time.sleep(0.02)

    def stop(self) -> None:
        self.link.stop()
