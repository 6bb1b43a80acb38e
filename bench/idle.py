"""Idle bench: the hub's CPU while nothing can run, with 0, 10k and 100k pending tasks for phones
that are absent (never seen), compared in one run. Goal: under 1 % of one core at 100k.

The hub runs as `python -m appliance serve` in a child process with its own adb server on a
free port (as bench/api.py starts it); the tasks are written into its store while it is stopped
(bench/api.py `fill`). After the hub answers and settles, its CPU time (utime + stime from
/proc/<pid>/stat) is read over a window of wall time. Prints one line per depth.

    python bench/idle.py [--seconds 20] [--settle 5] [--quick]   # --quick: 0 / 1k / 10k, 5 s
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api import STATS, fill, request, start_hub  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (fields 14 and 15 of /proc/pid/stat;
    the command name in field 2 may hold spaces, so count from its closing parenthesis)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Threads:"))


def idle_share(pid: int, seconds: float) -> float:
    """CPU seconds per wall second (1.0 = one core busy) over `seconds`."""
    cpu, wall = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - cpu) / (time.monotonic() - wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring window per depth")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds after the hub answers before measuring (start-up work)")
    parser.add_argument("--quick", action="store_true", help="0 / 1k / 10k tasks, 5 s windows")
    args = parser.parse_args()
    depths = (0, 1_000, 10_000) if args.quick else (0, 10_000, 100_000)
    seconds = 5.0 if args.quick else args.seconds

    work = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    state = work / "state"
    print(f"# {os.cpu_count()} CPUs; python {sys.version.split()[0]}; {seconds:g} s windows; "
          f"logs in {work} (removed after a run that ends well)", flush=True)
    results = []
    for depth in depths:
        fill(state, depth)
        hub = start_hub(state, work)
        try:
            pending = request(hub.port, "GET", STATS)[1]["data"]["pending"]
            time.sleep(args.settle)
            share = idle_share(hub.proc.pid, seconds)
            results.append((pending, share, threads(hub.proc.pid)))
            print(f"# {pending} pending done", flush=True)
        finally:
            hub.stop()
    shutil.rmtree(work, ignore_errors=True)
    print()
    for pending, share, count in results:
        verdict = "" if pending < 100_000 else f" (goal < 1 %: {'met' if share < 0.01 else 'MISSED'})"
        print(f"idle CPU, {pending:>6} pending tasks for absent phones   "
              f"{share * 100:6.2f} % of one core, {count} threads{verdict}")


if __name__ == "__main__":
    main()
