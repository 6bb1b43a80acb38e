"""Fleet bench (issue 17): the gateway's overhead on POST /task and GET /task, as a ratio of
calling a hub's own API directly, measured in one run on one machine.

Starts a real Mosquitto on a free loopback port (tests/fleet/broker.py), 3 hubs with simulated
phones and a gateway (tests/fleet/fleetkit.py: `appliance serve` / `appliance gateway` child
processes, default fleet timings), fills each hub with pending tasks, then times, in alternating
rounds so drift on a shared machine hits both alike, over one keep-alive connection each:
- POST /task with one phone of hub 1: the gateway (route, MQTT request, hub create, answer) vs
  hub 1's own API;
- GET /task?page_size=20 (page 1 and page 5): the gateway (fan-out to 3 hubs over MQTT, merge)
  vs hub 1's own API.
Prints median and p90 ms of each and the gateway/hub ratios. No goal is asserted.

    python bench/fleet.py [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fleet.broker import Broker, BrokerMissing  # noqa: E402
from tests.fleet.fleetkit import FleetKit  # noqa: E402


class Client:
    """One keep-alive HTTP connection; `call()` returns (ms, envelope)."""

    def __init__(self, url: str):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def call(self, method: str, path: str, body: Any = None) -> tuple[float, dict[str, Any]]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        start = time.perf_counter()
        self.conn.request(method, "/api/v1" + path, data, headers)
        resp = self.conn.getresponse()
        payload = resp.read()
        ms = (time.perf_counter() - start) * 1000
        answer = json.loads(payload)
        if resp.status != 200 or answer.get("code") != 0:
            raise SystemExit(f"{method} {path} failed: {resp.status} {answer}")
        return ms, answer

    def close(self) -> None:
        self.conn.close()


def later() -> str:
    """A start_time hours away: the tasks stay pending, so no phone work disturbs the timing."""
    return (datetime.now(UTC) + timedelta(hours=12)).strftime("%H:%M")


def fill(kit: FleetKit, per_hub: int) -> None:
    """`per_hub` pending tasks on each hub, through its own API (all its phones per POST)."""
    for n in sorted(kit.hubs):
        hub = Client(kit.hub(n).url)
        serials = kit.serials[n]
        for _ in range(per_hub // len(serials)):
            hub.call("POST", "/task", {"script_name": "account_warmup", "serials": serials,
                                       "start_time": later()})
        hub.close()


def rounds(paths: dict[str, tuple[Client, str, str, Any]], count: int,
           rounds_: int = 4) -> dict[str, list[float]]:
    """Each named call `count` times, in `rounds_` alternating rounds; ms per call."""
    times: dict[str, list[float]] = {name: [] for name in paths}
    per_round = max(1, count // rounds_)
    for _ in range(rounds_):
        for name, (client, method, path, body) in paths.items():
            for _ in range(per_round):
                ms, _answer = client.call(method, path, body)
                times[name].append(ms)
    return times


def link_floor(broker: Broker, count: int) -> list[float]:
    """ms of one bare MQTT v5 request/answer between two `fleet.link.Link`s through the broker
    (two observer users with the gateway's rights): the floor under every gateway call. The
    links set TCP_NODELAY and the broker runs with `set_tcp_nodelay true`; with Nagle on either
    side it is ~45-90 ms."""
    from appliance.fleet import topics
    from appliance.fleet.link import Link

    # Observer users (the gateway's rights): the broker maps each user to one client id, so
    # links as hub-1 / gateway would take over the running hub's and gateway's sessions.
    hub_user, gw_user = broker.observer(), broker.observer()
    hub = Link("bench-hub-1", hub_user, broker.password(hub_user), broker.url, keepalive=10)
    hub.subscribe(topics.request(1), lambda _t, payload, props: hub.respond(
        props, {"code": 0, "message": "success", "data": payload}))
    gw = Link("bench-gw", gw_user, broker.password(gw_user), broker.url, keepalive=10)
    try:
        for link in (hub, gw):
            link.start()
            if not link.wait_connected(10):
                raise SystemExit(f"bench link {link.client_id} did not connect: {link.last_error}")
        times = []
        for i in range(count + 5):
            start = time.perf_counter()
            gw.request(topics.request(1), {"i": i}, topics.response("bench", 1), 5)
            if i >= 5:
                times.append((time.perf_counter() - start) * 1000)
        return times
    finally:
        hub.stop()
        gw.stop()


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def line(name: str, gateway: list[float], hub: list[float]) -> str:
    gm, hm = statistics.median(gateway), statistics.median(hub)
    return (f"{name:<22} gateway median {gm:6.1f} ms (p90 {p90(gateway):6.1f}) | hub median "
            f"{hm:6.1f} ms (p90 {p90(hub):6.1f}) | ratio median {gm / hm:4.1f}x, "
            f"p90 {p90(gateway) / p90(hub):4.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer tasks and calls")
    args = parser.parse_args()
    per_hub, calls = (60, 40) if args.quick else (300, 200)

    work = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    print(f"# {os.cpu_count()} CPUs; python {sys.version.split()[0]}; 3 hubs x 2 simulated "
          f"phones, {per_hub} pending tasks per hub, {calls} calls per figure; logs in {work} "
          "(removed after a run that ends well)", flush=True)
    finished = False
    try:
        broker = Broker(hubs=3, directory=work / "mosquitto")
        broker.start()
    except BrokerMissing as exc:
        raise SystemExit(str(exc)) from None
    # default production timings (heartbeat 10 s, keepalive 10 s): the bench's load is the API's
    kit = FleetKit(broker, work, hubs=3, phones=2, keepalive=10, heartbeat=10.0, stale_after=30.0)
    try:
        kit.start()
        fill(kit, per_hub)
        assert kit.gateway is not None
        gateway, hub = Client(kit.gateway.url), Client(kit.hub(1).url)
        serial = kit.serials[1][0]
        body = {"script_name": "account_warmup", "serials": [serial], "start_time": later()}
        rounds({"gw": (gateway, "GET", "/task?page_size=20", None),
                "hub": (hub, "GET", "/task?page_size=20", None)}, 20)   # warm up
        print("# timing POST /task", flush=True)
        post = rounds({"gw": (gateway, "POST", "/task", body), "hub": (hub, "POST", "/task", body)},
                      calls)
        print("# timing GET /task", flush=True)
        first = rounds({"gw": (gateway, "GET", "/task?page_size=20", None),
                        "hub": (hub, "GET", "/task?page_size=20", None)}, calls)
        fifth = rounds({"gw": (gateway, "GET", "/task?page=5&page_size=20", None),
                        "hub": (hub, "GET", "/task?page=5&page_size=20", None)}, calls)
        total = gateway.call("GET", "/task?page_size=1")[1]["data"]["total"]
        print("# timing the bare MQTT request/answer", flush=True)
        floor = link_floor(broker, calls // 2)
        gateway.close()
        hub.close()
        finished = True
    finally:
        kit.close()
        broker.close()
        if finished:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"# the gateway lists {total} tasks over 3 hubs; the hub lists its own")
    print(line("POST /task (1 phone)", post["gw"], post["hub"]))
    print(line("GET /task page 1/20", first["gw"], first["hub"]))
    print(line("GET /task page 5/20", fifth["gw"], fifth["hub"]))
    print(f"{'MQTT req/answer':<22} median {statistics.median(floor):5.1f} ms "
          f"(p90 {p90(floor):5.1f}), the floor under each gateway call")


if __name__ == "__main__":
    main()
