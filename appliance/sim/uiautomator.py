"""`uiautomator dump [--compressed] [PATH]` as the stock tool behaves: each dump takes
`dump_seconds` (drawn per dump from the phone's seeded rng) and, while a video plays, often gives
up with `ERROR: could not get idle state.` (exit 0, no file written; `idle_fail_rate`).

Runs on adbd stream threads: the wait holds no lock; the app (ui) is read under the phone's
`ui_lock` only for the instant of the dump; the rng has its own small lock.
"""

from __future__ import annotations

import random
import threading
import time

from appliance.sim.fs import FsError

DEFAULT_PATH = "/sdcard/window_dump.xml"
TO_STDOUT = ("/dev/tty", "/dev/stdout", "/proc/self/fd/1")


def seconds_range(value) -> tuple[float, float]:
    """A number or a (lo, hi) pair -> (lo, hi) with lo <= hi."""
    if isinstance(value, (int, float)):
        return float(value), float(value)
    lo, hi = (float(v) for v in value)
    return min(lo, hi), max(lo, hi)


class UiDumper:
    def __init__(self, android, rng: random.Random, dump_seconds=(1.0, 3.0), idle_fail_rate: float = 0.7):
        self.android = android
        self.rng = rng
        self.dump_seconds = dump_seconds      # read at every dump: tests may change it live
        self.idle_fail_rate = idle_fail_rate
        self._rng_lock = threading.Lock()

    def run(self, argv, io) -> int:
        if len(argv) < 2 or argv[1] != "dump":
            io.err.write("Usage: uiautomator <subcommand> [options]\n\nAvailable subcommands:\n\n"
                         "help: displays help message\n\ndump: creates an XML dump of current UI hierarchy\n")
            return 1
        paths = [a for a in argv[2:] if not a.startswith("-")]
        path = paths[0] if paths else DEFAULT_PATH
        with self._rng_lock:
            wait = self.rng.uniform(*seconds_range(self.dump_seconds))
        if wait > 0:
            time.sleep(wait)  # waitForIdle: no lock held, other commands go on meanwhile
        android = self.android
        with android.ui_lock:
            playing = android.ui.video_playing()
            xml = None if playing and self._fails() else android.ui.dump_xml()
        if xml is None:
            io.out.write("ERROR: could not get idle state.\n")
            return 0  # sic: the stock tool exits 0 and leaves any old file in place
        if path in TO_STDOUT:
            io.out.write(xml)
        else:
            try:
                android.fs.write(path, xml.encode(), cwd=io.shell.cwd)
            except FsError as exc:
                io.err.write(f"ERROR: could not write {path}: {exc}\n")
                return 1
        io.out.write(f"UI hierchary dumped to: {path}\n")  # sic: Android's own spelling
        return 0

    def _fails(self) -> bool:
        with self._rng_lock:
            return self.rng.random() < self.idle_fail_rate
