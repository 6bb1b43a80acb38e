"""API bench: /task/stats throughput against a bare falcon+waitress app, create latency with deep
queues, GET /device with many simulated phones, and the hub's memory, from one run.

The hub runs as `python -m appliance serve` in a child process with its own adb server on a free
port; the bare app (one falcon route answering a stats envelope) runs in another child on the
same waitress settings (threads, connection limit); clients are keep-alive threads in this
process. Pending tasks are for phones the hub never sees, written into the store while the hub
is stopped, by TaskService (so shaped as POST /task makes them). Prints:
- /task/stats requests per second, hub and bare app, and their ratio (goal >= 0.8), with 0 and
  with many pending tasks;
- single POST /task latency at 0, 10k and 100k pending tasks;
- the hub's RSS with 100 simulated phones connected and 100k tasks (goal <= 120 MB);
- GET /device time with 200 simulated phones (goal <= 5 ms).

    python bench/api.py [--quick]      # --quick: 0 / 1k / 10k tasks, 20 / 40 phones
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from appliance.config import load_config  # noqa: E402
from appliance.devices.ports import free_port  # noqa: E402

ADB = "/usr/bin/adb"
CLIENTS = 4          # keep-alive client threads for throughput
STATS = "/api/v1/task/stats"


# --- the bare app (run as `python bench/api.py --bare PORT` in a child process) ---------------
def serve_bare(port: int) -> None:
    import falcon
    from waitress import serve

    class Stats:
        def on_get(self, req, resp):
            resp.media = {"code": 0, "message": "ok", "data": {
                "total": 0, "pending": 0, "running": 0, "completed": 0, "failed": 0}}

    config = load_config(env={})
    app = falcon.App()
    app.add_route(STATS, Stats())
    serve(app, host="127.0.0.1", port=port, threads=config.threads, ident="appliance",
          connection_limit=config.connection_limit, clear_untrusted_proxy_headers=True,
          _quiet=True)


# --- child processes ---------------------------------------------------------------------------
def request(port: int, method: str, path: str, body=None, timeout: float = 60) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, data, {"Content-Type": "application/json"} if data else {})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def wait_answering(port: int, proc: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode}")
        try:
            if request(port, "GET", STATS, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} did not answer within {timeout:.0f} s")


class Child:
    """A child process we own by pid: the bare app or the hub."""

    def __init__(self, argv: list[str], what: str, log: Path, env: dict | None = None):
        self.port = free_port()
        self.what = what
        with open(log, "ab") as out:
            self.proc = subprocess.Popen([*argv, "--port", str(self.port)], stdout=out,
                                         stderr=out, stdin=subprocess.DEVNULL,
                                         env={**os.environ, **(env or {})})
        wait_answering(self.port, self.proc, what)

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def start_hub(state: Path, logs: Path) -> Child:
    env = {"APPLIANCE_ADB_PORT": str(free_port()), "APPLIANCE_ADB_PATH": ADB,
           "APPLIANCE_PLAN": "Business", "PYTHONPATH": str(ROOT)}
    return Child([sys.executable, "-m", "appliance", "serve", "--host", "127.0.0.1",
                  "--state-dir", str(state)], "the hub", logs / "hub.log", env)


# --- measurements ------------------------------------------------------------------------------
def throughput(port: int, seconds: float) -> float:
    """Requests per second of GET /task/stats from CLIENTS keep-alive threads."""
    counts = [0] * CLIENTS
    stop = threading.Event()

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while not stop.is_set():
            conn.request("GET", STATS)
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                counts[k] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)   # warm up: connections open, threads busy
    start, before = time.perf_counter(), sum(counts)
    time.sleep(seconds)
    done, elapsed = sum(counts) - before, time.perf_counter() - start
    stop.set()
    for thread in threads:
        thread.join()
    return done / elapsed


def ratio(hub: Child, bare: Child, seconds: float) -> tuple[float, float]:
    """Hub and bare app in alternating rounds, so drift on a shared machine hits both alike."""
    hub_rates, bare_rates = [], []
    for _ in range(2):
        bare_rates.append(throughput(bare.port, seconds / 2))
        hub_rates.append(throughput(hub.port, seconds / 2))
    return statistics.fmean(hub_rates), statistics.fmean(bare_rates)


def create_latency(port: int, count: int) -> list[float]:
    """Milliseconds of single POST /task calls, one task each, for a phone the hub never saw."""
    times = []
    for k in range(count):
        start = time.perf_counter()
        status, env = request(port, "POST", "/api/v1/task", {
            "serials": [f"GONE{k % 10:04d}"], "script_name": "account_warmup"})
        times.append((time.perf_counter() - start) * 1000)
        assert status == 200 and env["code"] == 0, env
    return times


def fill(state: Path, total: int) -> None:
    """Add pending tasks (for 500 phones never seen) until the store holds `total` (hub stopped),
    then compact: the hub starts as after a long run, not in the middle of a snapshot."""
    from appliance.scripts import default_registry
    from appliance.services.accounts import AccountService
    from appliance.services.tasks import TaskService
    from appliance.storage import Store

    config = load_config(env={}, overrides={"state_dir": str(state), "adb_enabled": False})
    clock = lambda: datetime.now().astimezone()
    with Store.open(state) as store:
        registry = default_registry(config, accounts=AccountService(config, store, clock))
        service = TaskService(config, store, clock, registry=registry)
        while (have := store.tasks.count()) < total:
            batch = min(500, total - have)
            service.create({"serials": [f"GONE{n:04d}" for n in range(batch)],
                            "script_name": "account_warmup"})
        store.compact()


def connect(port: int, farm, phones) -> None:
    """POST /device/connect for each phone, then wait until GET /device lists them as device."""
    with ThreadPoolExecutor(8) as pool:   # more at once sometimes aborts the adb 29 server
        answers = list(pool.map(lambda p: request(port, "POST", "/api/v1/device/connect",
                                                  {"address": p.address}), phones))
    bad = [env for status, env in answers if env.get("code") != 0]
    if bad:
        raise SystemExit(f"connecting phones failed: {bad[:3]}")
    wanted = {p.address for p in phones}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        devices = request(port, "GET", "/api/v1/device")[1]["data"]["devices"]
        if wanted <= {d["serial"] for d in devices if d["state"] == "device"}:
            return
        time.sleep(0.2)
    raise SystemExit("the phones did not all come online within 120 s")


def device_list_ms(port: int, count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        conn.request("GET", "/api/v1/device")
        resp = conn.getresponse()
        resp.read()
        times.append((time.perf_counter() - start) * 1000)
    conn.close()
    return times


def median(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[int(len(ordered) * 0.9)]
    return f"median {statistics.median(ordered):.1f} ms (p90 {p90:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, shorter rounds")
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        serve_bare(args.port)
        return

    depths = (0, 1_000, 10_000) if args.quick else (0, 10_000, 100_000)
    phones_rss, phones_list = (20, 40) if args.quick else (100, 200)
    seconds = 2.0 if args.quick else 6.0
    creates = 10 if args.quick else 20

    from appliance.sim import SimFarm

    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    state = work / "state"
    print(f"# {os.cpu_count()} CPUs; python {sys.version.split()[0]}; {CLIENTS} keep-alive "
          f"clients; logs in {work} (removed after a run that ends well)", flush=True)
    bare = Child([sys.executable, __file__, "--bare"], "the bare app", work / "bare.log")
    farm = None
    results: dict[str, str] = {}
    finished = False
    try:
        for depth in depths:
            fill(state, depth)
            hub = start_hub(state, work)
            try:
                pending = request(hub.port, "GET", STATS)[1]["data"]["pending"]
                if depth in (depths[0], depths[-1]):
                    hub_rate, bare_rate = ratio(hub, bare, seconds)
                    results[f"stats at {pending} pending"] = (
                        f"hub {hub_rate:.0f}/s, bare {bare_rate:.0f}/s: ratio "
                        f"{hub_rate / bare_rate:.2f} (goal >= 0.8)")
                results[f"create at {pending} pending"] = median(create_latency(hub.port, creates))
                print(f"# {pending} pending done", flush=True)
                if depth == depths[-1]:
                    farm = SimFarm(phones_list, seed=5).start()
                    connect(hub.port, farm, farm.phones[:phones_rss])
                    time.sleep(2)   # let start-up work (first health checks) settle
                    results[f"hub RSS, {phones_rss} phones, {pending} tasks"] = (
                        f"{hub.rss_mb():.0f} MB (goal <= 120 MB)")
                    connect(hub.port, farm, farm.phones[phones_rss:])
                    device_list_ms(hub.port, 20)   # warm up
                    results[f"GET /device, {phones_list} phones"] = (
                        median(device_list_ms(hub.port, 200)) + " (goal <= 5 ms)")
            finally:
                hub.stop()
        finished = True
    finally:
        if farm is not None:
            farm.stop()
        bare.stop()
        if finished:
            shutil.rmtree(work, ignore_errors=True)
    print()
    for name, value in results.items():
        print(f"{name:<40} {value}")


if __name__ == "__main__":
    main()
