"""Dispatch overhead of the engine: N simulated phones, M tasks of a trivial script, zero interval.

Runs the real hub in-process (API + engine + its own adb server on a free port), connects the
simulated phones through the hub, registers a one-`echo` script and measures, from one run:
- create-to-start latency on idle phones (POST /task until the script's first line runs), median;
- the hub's overhead per task: per phone, (makespan - sum of that phone's script times) / tasks,
  averaged over phones; makespan runs from the first POST to the last task's end.

    python bench/dispatch.py [--phones 50] [--tasks 1000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from appliance.cli.serve import run_hub
from appliance.config import load_config
from appliance.scripts import Script
from appliance.sim import SimFarm
from tests.conftest import free_port
from tests.hubkit import call


class Echo(Script):
    """The trivial script: one shell round trip; records its own start and end."""

    name = "bench_echo"
    schema: ClassVar[dict[str, Any]] = {"type": "object"}
    times: ClassVar[dict[int, tuple[float, float]]] = {}
    started: ClassVar[dict[int, threading.Event]] = defaultdict(threading.Event)

    def run(self, ctx):
        start = time.perf_counter()
        Echo.started[ctx.task_id].set()
        ctx.shell("echo hi")
        Echo.times[ctx.task_id] = (start, time.perf_counter())
        return ""


class Hold(Script):
    """Keeps its phone busy until released, so that a queue can be filled behind it."""

    name = "bench_hold"
    schema: ClassVar[dict[str, Any]] = {"type": "object"}
    release = threading.Event()

    def run(self, ctx):
        while not Hold.release.wait(0.05):
            ctx.check()
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=1000)
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    config = load_config(env={}, overrides={
        "state_dir": str(state), "host": "127.0.0.1", "port": 0, "adb_port": free_port(),
        "adb_path": "/usr/bin/adb", "plan": "Business", "health_interval": 3600,
        "log_lines_per_task": 10})
    ready, stop = {}, threading.Event()
    started = threading.Event()

    def on_ready(server, services):
        ready.update(server=server, services=services)
        started.set()

    hub = threading.Thread(target=run_hub, args=(config,),
                           kwargs={"on_ready": on_ready, "stop_event": stop}, daemon=True)
    hub.start()
    assert started.wait(60), "hub did not start"
    services = ready["services"]
    url = f"http://127.0.0.1:{ready['server'].port}/api/v1"
    services.registry.register(Echo())
    services.registry.register(Hold())
    farm = SimFarm(count=args.phones, seed=3).start()
    try:
        serials = [p.address for p in farm.phones]
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda a: services.devices.client.connect(a, timeout=15), serials))
        tracker = services.engine.tracker
        deadline = time.monotonic() + 60
        while not all(tracker.usable(s) for s in serials):
            assert time.monotonic() < deadline, "phones did not become usable"
            time.sleep(0.05)

        def create(targets):
            status, env = call(url, "POST", "/task", {
                "serials": targets, "script_name": "bench_echo", "script_config": {},
                "min_interval": 0, "max_interval": 0})
            assert status == 200 and env["code"] == 0, env
            return env["data"]["task_ids"]

        # 1. create-to-start latency on idle phones: one task at a time, each on an idle phone.
        latencies = []
        for serial in serials:
            t0 = time.perf_counter()
            (task_id,) = create([serial])
            assert Echo.started[task_id].wait(10)
            latencies.append(Echo.times.get(task_id, (None,))[0] or time.perf_counter())
            latencies[-1] -= t0
            while task_id not in Echo.times:
                time.sleep(0.001)
        wait_idle(services, len(serials))

        # 2. throughput: M tasks over N phones at zero interval.
        per_round = len(serials)
        rounds = max(1, args.tasks // per_round)
        t_first = time.perf_counter()
        ids = []
        for _ in range(rounds):
            ids.extend(create(serials))
        while not all(i in Echo.times for i in ids):
            time.sleep(0.005)
        wait_idle(services, len(serials) + len(ids))
        makespan = max(Echo.times[i][1] for i in ids) - t_first
        by_phone = defaultdict(list)
        for index, task_id in enumerate(ids):
            by_phone[serials[index % per_round]].append(Echo.times[task_id][1] - Echo.times[task_id][0])
        overheads = [(makespan - sum(times)) / len(times) for times in by_phone.values()]
        script_ms = statistics.median(t for times in by_phone.values() for t in times) * 1000

        # 3. one phone alone: the per-task cost of the dispatch cycle without store contention.
        _status, env = call(url, "POST", "/task", {"serials": [serials[0]], "script_name": "bench_hold",
                                                  "min_interval": 0, "max_interval": 0})
        assert env["code"] == 0, env
        solo = []
        for _ in range(50):
            solo.extend(create([serials[0]]))
        Hold.release.set()
        while not all(i in Echo.times for i in solo):
            time.sleep(0.002)
        gaps = [Echo.times[b][0] - Echo.times[a][1] for a, b in pairwise(solo)]

        print(f"phones: {len(serials)}  tasks: {len(ids)}  interval: 0")
        print(f"create-to-start latency on idle phones: median {statistics.median(latencies) * 1000:.1f} ms"
              f" (p90 {sorted(latencies)[int(len(latencies) * 0.9)] * 1000:.1f} ms, n={len(latencies)})")
        print(f"makespan: {makespan:.2f} s  ({len(ids) / makespan:.0f} tasks/s)")
        print(f"script time per task: median {script_ms:.1f} ms")
        print(f"hub overhead per task: {statistics.mean(overheads) * 1000:.1f} ms "
              f"(per phone: (makespan - sum of its script times) / its tasks; mean over phones)")
        print(f"one phone, {len(solo)} tasks queued: end of one to start of the next, median "
              f"{statistics.median(gaps) * 1000:.1f} ms")
    finally:
        farm.stop()
        stop.set()
        hub.join(60)


def wait_idle(services, completed: int) -> None:
    """Until the store shows `completed` completed tasks (outcomes are written after the script)."""
    deadline = time.monotonic() + 120
    while services.store.tasks.stats()["completed"] < completed:
        assert time.monotonic() < deadline, services.store.tasks.stats()
        time.sleep(0.01)


if __name__ == "__main__":
    main()
