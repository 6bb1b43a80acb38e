"""Cold start to a /healthz answer: `dist/appliance serve` and `python -m appliance serve`.

Run: python bench/cold_start.py [--runs 5]. Starts each on a free port with adb off and a fresh
state directory, polls /healthz until it answers, then SIGTERMs it and checks exit code 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from appliance.devices.ports import free_port

ROOT = Path(__file__).resolve().parent.parent



def one_start(command: list[str]) -> tuple[float, float]:
    """(seconds to the first /healthz answer, seconds from SIGTERM to exit)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "APPLIANCE_ADB_ENABLED": "false"}
        started = time.perf_counter()
        proc = subprocess.Popen([*command, "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--state-dir", state], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"{command} exited with {proc.returncode} before answering")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.005)
                if time.perf_counter() - started > 60:
                    raise SystemExit(f"{command} did not answer /healthz within 60 s")
            ready = time.perf_counter() - started
            stop = time.perf_counter()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(60)
            if code != 0:
                raise SystemExit(f"{command} exited with {code} after SIGTERM")
            return ready, time.perf_counter() - stop
        finally:
            if proc.poll() is None:
                proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--binary", default=str(ROOT / "dist" / "appliance"))
    args = parser.parse_args()
    targets = [("python -m appliance", [sys.executable, "-m", "appliance"])]
    if Path(args.binary).exists():
        size = Path(args.binary).stat().st_size
        print(f"binary {args.binary}: {size / 1e6:.1f} MB")
        targets.insert(0, ("binary", [args.binary]))
    for name, command in targets:
        one_start(command)  # warm the page cache: we measure a cold *process*, not a cold disk
        runs = [one_start(command) for _ in range(args.runs)]
        ready = [r for r, _ in runs]
        stop = [s for _, s in runs]
        print(f"{name:<20} start to /healthz: median {statistics.median(ready) * 1000:.0f} ms "
              f"(min {min(ready) * 1000:.0f}, max {max(ready) * 1000:.0f}); "
              f"SIGTERM to exit 0: median {statistics.median(stop) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
