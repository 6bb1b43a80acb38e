"""Helpers for the fleet's paging, limit and fault tests (issue 17) on top of fleetkit/broker.

`running_fleet(...)` starts a Broker-backed FleetKit and always closes it; `timed(...)` waits for
a condition and returns the seconds it took; `hub_tasks`/`reference_merge` read the hubs' own
APIs; `retained(...)` reads what the broker holds retained (a fresh MQTT client, gateway user);
`Sampler` polls a value on a thread; `restart_broker` SIGTERMs/SIGKILLs Mosquitto and starts it
again on the same port; `figure` prints a failure-table row. Everything runs on the test thread
except Sampler's thread (and paho's, inside `retained`).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.fixtures import wait_for
from tests.fleet.broker import Broker
from tests.fleet.fleetkit import FleetKit

TaskRow = dict[str, Any]


@contextmanager
def running_fleet(broker: Broker, root: Path, **kw: Any) -> Iterator[FleetKit]:
    kit = FleetKit(broker, root, **kw)
    kit.start()
    try:
        yield kit
    except BaseException:
        print(kit.logs())     # shown by pytest on failure
        raise
    finally:
        kit.close()


def timed(condition: Callable[[], Any], timeout: float, message: str) -> float:
    """Seconds until `condition()` is truthy (AssertionError after `timeout`)."""
    start = time.monotonic()
    wait_for(condition, timeout, interval=0.05, message=message)
    return time.monotonic() - start


def later_start_time(hours: int = 12) -> str:
    """A start_time (HH:MM) hours away in any zone near UTC: tasks stay pending, order stable."""
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%H:%M")


def ok(answer: tuple[int, Any] | dict[str, Any]) -> Any:
    """The data of a code-0 envelope (from `Process.api` or `FleetKit.gw`)."""
    env = answer[1] if isinstance(answer, tuple) else answer
    assert isinstance(env, dict) and env.get("code") == 0, env
    return env["data"]


def hub_tasks(kit: FleetKit, n: int, query: str = "") -> list[TaskRow]:
    """Every task of hub n from its own GET /api/v1/task (newest first), ids made fleet ids."""
    rows: list[TaskRow] = []
    page = 1
    while True:
        data = ok(kit.hub(n).api("GET", f"/task?page={page}&page_size=100{query}"))
        rows += [{**t, "id": t["id"] * 64 + n, "hub": n} for t in data["tasks"]]
        if page * 100 >= data["total"]:
            return rows
        page += 1


def reference_merge(kit: FleetKit, hubs: list[int], query: str = "") -> list[int]:
    """The fleet ids of the hubs' own lists merged newest first: (created_at, fleet id) desc."""
    rows = [t for n in hubs for t in hub_tasks(kit, n, query)]
    rows.sort(key=lambda t: (datetime.fromisoformat(t["created_at"]).timestamp(), t["id"]),
              reverse=True)
    return [t["id"] for t in rows]


def hub_stats(kit: FleetKit, hubs: list[int]) -> dict[int, dict[str, Any]]:
    """Each hub's own GET /task/stats, asked in parallel (a near-simultaneous snapshot)."""
    with ThreadPoolExecutor(len(hubs)) as pool:
        answers = pool.map(lambda n: (n, ok(kit.hub(n).api("GET", "/task/stats", timeout=10))),
                           hubs)
        return dict(answers)


class Sampler:
    """Calls `probe()` every `interval` s on a thread until stop(); keeps every value."""

    def __init__(self, probe: Callable[[], Any], interval: float = 0.2):
        self.probe, self.interval = probe, interval
        self.values: list[Any] = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.values.append(self.probe())
            except Exception as exc:   # reported by the test
                self.errors.append(exc)
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)


def _retained_once(broker: Broker, topic_filter: str,
                   want: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    seen: dict[str, Any] = {}
    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"probe-{uuid.uuid4().hex[:8]}",
                         protocol=mqtt.MQTTv5)
    client.username_pw_set(broker.probe_user, broker.password(broker.probe_user))

    def on_connect(c: mqtt.Client, userdata: object, flags: Any, reason: Any,
                   properties: Any) -> None:
        c.subscribe(topic_filter, qos=1)

    def on_subscribe(*args: Any) -> None:
        subscribed.set()

    def on_message(c: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        if message.retain:
            seen[message.topic] = json.loads(message.payload) if message.payload else None

    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    try:
        client.connect(broker.host, broker.port, keepalive=10)
        client.loop_start()
        if subscribed.wait(5):
            # retained messages follow the SUBACK at once; a short settle for the last ones
            end = time.monotonic() + 0.5
            while time.monotonic() < end and not want(dict(seen)):
                time.sleep(0.05)
            time.sleep(0.1)
    except OSError:
        pass
    finally:
        client.loop_stop()
        client.disconnect()
    return dict(seen)


def retained(broker: Broker, topic_filter: str, want: Callable[[dict[str, Any]], bool],
             timeout: float = 10.0) -> dict[str, Any]:
    """The retained messages under `topic_filter` as a fresh subscriber (user `gateway`) sees
    them: {topic: payload}. Subscribes again until `want(messages)` holds or `timeout`
    (AssertionError naming what it saw)."""
    deadline = time.monotonic() + timeout
    while True:
        seen = _retained_once(broker, topic_filter, want)
        if want(seen):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"retained state under {topic_filter} incomplete after {timeout}s: "
                                 f"{sorted(seen)}")
        time.sleep(0.2)


def restart_broker(broker: Broker, kill: bool, during: Callable[[], None] | None = None,
                   timeout: float = 10.0) -> float:
    """SIGKILL (kill=True) or SIGTERM the broker, run `during()` while it is gone, start it again
    on the same port and files. Returns the monotonic time it listens again."""
    if kill:
        broker.kill()
    else:
        broker.stop()
    if during is not None:
        during()
    deadline = time.monotonic() + timeout
    while True:
        try:
            broker.start(timeout=max(0.5, deadline - time.monotonic()))
            return time.monotonic()
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def code(answer: dict[str, Any]) -> int:
    value = answer.get("code")
    assert isinstance(value, int), answer
    return value


def figure(fault: str, client_sees: str, recovery: str) -> None:
    """One row of the failure table on stdout (pytest -s shows it; grep FAULT)."""
    print(f"FAULT | {fault} | {client_sees} | {recovery}", flush=True)
