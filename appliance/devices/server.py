"""The hub's own adb server: started as a child, watched by a supervisor thread, restarted on death.

`AdbServer.start()` runs `adb -P <port> server nodaemon` with HOME set to `state_dir/adb`, so the
adb key lives at `state_dir/adb/.android/adbkey` (adb 29 reads only $HOME/.android; checked) and
survives reinstalls. The supervisor thread owns the child; other threads only read `running`.
"""

from __future__ import annotations

import builtins
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.devices.wire import host_query, server_answers
from appliance.errors import AdbServerDown, DeviceError
from appliance.loops import BackgroundLoop

if TYPE_CHECKING:
    from appliance.storage import Store

log = logging.getLogger(__name__)

META_KEY = "tcp_devices"


class TcpPhones:
    """The TCP addresses the hub connected, kept in `store.meta` so a restart can reconnect them."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._memory: list[str] = []

    def list(self) -> list[str]:
        with self._lock:
            if self.store is None:
                return list(self._memory)
            return list(self.store.meta.get(META_KEY, []) or [])

    def _write(self, change: Callable[[builtins.list[str]], builtins.list[str]]) -> None:
        with self._lock:
            current = self._memory if self.store is None else list(self.store.meta.get(META_KEY, []) or [])
            new = change(list(current))
            if new == current:
                return
            if self.store is None:
                self._memory = new
            else:
                self.store.meta.set(META_KEY, new)

    def add(self, address: str) -> None:
        self._write(lambda items: items if address in items else [*items, address])

    def remove(self, address: str) -> None:
        self._write(lambda items: [a for a in items if a != address])


class AdbServer:
    """Start, supervise and stop one adb server on `port` (never 5037 in tests)."""

    def __init__(self, adb_path: str, port: int, state_dir: Path, host: str = "127.0.0.1",
                 on_restart: Callable[[], None] | None = None):
        self.adb_path = adb_path
        self.port = port
        self.host = host
        self.home = Path(state_dir) / "adb"
        self.on_restart = on_restart
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        # Its `stopping` event is also "the hub is stopping" for _spawn and wait_ready; only the
        # loop clears it (start()), so a supervisor a timed-out stop() left never carries on.
        self._loop = BackgroundLoop("adb-supervisor", self._supervise)
        self._stop = self._loop.stopping   # read here, set by stop(), never cleared
        self._watching = False          # the supervisor watches _proc from start()'s end to stop()
        self._backoff = 0.1             # the supervisor's wait after a failed restart
        self._lock = threading.Lock()   # guards _proc between the supervisor and stop()

    @property
    def key_path(self) -> Path:
        return self.home / ".android" / "adbkey"

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def running(self) -> bool:
        return self.pid is not None

    # --- lifetime ---
    def start(self, timeout: float = 10.0) -> None:
        """Start the server and its supervisor; returns once it answers. Raises AdbServerDown,
        also while the supervisor of a stop() that timed out is still running."""
        if not self._loop.start():   # clears `stopping` when it starts a new supervisor
            if not self._loop.stopping.is_set():
                return   # already started
            raise AdbServerDown("The adb server's supervisor from before the last stop is still "
                                "ending; the adb server was not started. Start the hub again in "
                                "a few seconds.")
        try:
            self._spawn()
            self.wait_ready(timeout)
        except BaseException:
            self._loop.stop(timeout)   # idle: no supervisor outlives a failed start
            raise
        self._backoff = 0.1
        self._watching = True
        self._loop.wake()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop supervising and end the server (kill-server, then SIGTERM/SIGKILL by pid)."""
        self._stop.set()
        self._watching = False
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                host_query(self.host, self.port, "host:kill", 1.0)
            except DeviceError:
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(2)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._loop.stop(timeout)   # no join when the supervisor itself stops the server

    def wait_ready(self, timeout: float) -> None:
        """Poll `host:version` until the server answers; AdbServerDown if it does not in time."""
        end = time.monotonic() + timeout
        while True:
            proc = self._proc
            try:
                host_query(self.host, self.port, "host:version", 1.0)
                return
            except DeviceError:
                pass
            if self._stop.is_set():   # stop() ended the child we wait for
                raise AdbServerDown("the hub is stopping; the adb server was stopped")
            if proc is not None and proc.poll() is not None and not server_answers(self.host, self.port):
                raise AdbServerDown(f"The adb server ({self.adb_path}) exited with status "
                                    f"{proc.returncode} at start; see the hub's log.")
            if time.monotonic() > end:
                raise AdbServerDown(f"The adb server on port {self.port} did not answer within "
                                    f"{timeout:.0f} s.")
            time.sleep(0.05)

    def _spawn(self) -> None:
        (self.home / ".android").mkdir(parents=True, exist_ok=True)
        self._evict_stranger()
        env = dict(os.environ, HOME=str(self.home))
        env.pop("ADB_VENDOR_KEYS", None)   # only the hub's own key
        env.pop("ANDROID_SERIAL", None)
        # No PR_SET_PDEATHSIG: it fires when the *thread* that spawned the child ends. An orphan
        # left by a killed hub is evicted by the next start instead (_evict_stranger).
        try:
            log_path = self.home / "adb-server.log"
            mode = "wb" if log_path.exists() and log_path.stat().st_size > 1 << 20 else "ab"
            with log_path.open(mode) as server_log:   # bounded: restarted over 1 MiB
                proc = subprocess.Popen(
                    [self.adb_path, "-P", str(self.port), "server", "nodaemon"],
                    env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=server_log, cwd=str(self.home), start_new_session=True)
        except OSError as exc:
            raise AdbServerDown(f"Cannot run the adb binary {self.adb_path!r}: {exc.strerror or exc}. "
                                "Install adb or set adb_path.") from None
        with self._lock:
            # stop() may have run while this child started (a restart racing the hub's stop):
            # it swapped out the old child only, so this one is ours to end, or it is orphaned.
            stopping = self._stop.is_set()
            if not stopping:
                self._proc = proc
        if stopping:
            proc.kill()
            proc.wait()
            raise AdbServerDown("the hub is stopping; the adb server was not restarted")
        log.info("adb server started on port %d (pid %d)", self.port, proc.pid)

    def _evict_stranger(self) -> None:
        """A server we did not start holds our port (a crashed hub's orphan, another adb version):
        ask it to quit, since the hub must own the server whose phones it tracks."""
        if not server_answers(self.host, self.port, 0.2):
            return
        log.warning("another adb server holds port %d; asking it to quit", self.port)
        try:
            host_query(self.host, self.port, "host:kill", 1.0)
        except DeviceError:
            pass
        end = time.monotonic() + 3
        while server_answers(self.host, self.port, 0.2) and time.monotonic() < end:
            time.sleep(0.05)

    # --- supervisor thread ---
    def _supervise(self) -> float | None:
        """The supervisor's pass: wait a quarter second for the server to exit; restart it if it
        did. Returns the wait before the next pass (None: nothing to watch yet, or stop() took the
        child; start() wakes it once the server answers)."""
        proc = self._proc
        if proc is None or not self._watching:
            return None
        try:
            proc.wait(0.25)
        except subprocess.TimeoutExpired:
            return 0.0
        if self._stop.is_set():
            return 0.0
        log.warning("adb server (pid %d) exited with status %s; restarting",
                    proc.pid, proc.returncode)
        try:
            self._spawn()
            self.wait_ready(10)
            self._backoff = 0.1
        except AdbServerDown as exc:
            log.error("adb server restart failed: %s", exc.message)
            wait, self._backoff = self._backoff, min(self._backoff * 2, 5.0)
            return wait
        self.restarts += 1
        if self.on_restart is not None:
            try:
                self.on_restart()
            except Exception:  # the supervisor must outlive a failing callback
                log.exception("after-restart callback failed")
        return 0.0
