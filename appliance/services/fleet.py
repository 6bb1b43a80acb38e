"""The hub's side of a fleet (issue 17): `FleetMember` keeps this hub's state on the broker and
answers the gateway's requests through the hub's own TaskService.

Owns the link (`fleet.link.Link`, client id `hub-N`), the quota the gateway gave this hub
(persisted in `store.meta`), and the idempotency keys of fleet creates. Threads: paho's network
thread only enqueues; one `fleet-member` thread applies quotas (in arrival order) and publishes
state (status, info, devices, accounts, stats heartbeat, task events once their write committed);
a small pool answers requests (bounded queue; a request whose Message Expiry passed is dropped).
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from paho.mqtt.properties import Properties

from appliance import __version__, errors
from appliance.config import Config
from appliance.domain.plans import Plan
from appliance.domain.tasks import RUNNING, STATUS_NAMES, public
from appliance.fleet import topics
from appliance.fleet.link import Link, Payload, Will
from appliance.loops import BackgroundLoop
from appliance.services.tasks import TaskService
from appliance.storage import Store
from appliance.storage.idempotency import IdempotencyRepo

log = logging.getLogger("appliance.fleet")

QUOTA_KEY = "fleet.quota"          # store.meta: {"limit", "epoch", "at"}
DEVICES_MIN_INTERVAL = 1.0         # at most one devices message a second
STATS_EXPIRY = 60                  # s: a dead hub's last heartbeat leaves the broker
LIST_FILTERS = ("status", "serial", "script_name", "source", "username")
PRUNE_EVERY = 600.0                # s between sweeps of expired idempotency keys
WORKERS = 4                        # threads answering the gateway's requests
MAX_WAITING = 64                   # requests waiting for a worker; beyond: 50301 "hub busy"
MAX_LIST_LIMIT = 10000             # rows one `list` request may ask for


class _License(Protocol):
    def plan(self) -> Plan: ...


class _Tracker(Protocol):
    def list(self, state: str | None = None) -> list[Any]: ...

    def subscribe(self, callback: Callable[[str, str], None]) -> Callable[[], None]: ...


class _Engine(Protocol):
    def running(self) -> dict[int, str]: ...

    def wake(self) -> None: ...


def api_url(host: str, port: int) -> str | None:
    """This hub's own Local API as others on the LAN reach it (None: a port picked at bind time,
    which only tests use; set `FleetMember.api` once known)."""
    if not port:
        return None
    if host in ("", "0.0.0.0", "::"):
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def envelope(data: Any) -> dict[str, Any]:
    return {"code": 0, "message": "success", "data": data}


def error_envelope(exc: errors.ApplianceError) -> dict[str, Any]:
    return {"code": exc.code, "message": exc.message, "data": exc.data}


class FleetMember:
    """This hub in the fleet: start() after the engine, stop() first (see the module docstring)."""

    def __init__(self, config: Config, store: Store, tasks: TaskService, license: _License,
                 tracker: _Tracker | None = None, engine: _Engine | None = None,
                 link_factory: Callable[..., Link] = Link) -> None:
        if not 1 <= int(config.fleet_hub) <= topics.MAX_HUB:
            raise errors.ConfigError("fleet_broker is set but fleet_hub is not: set fleet_hub to "
                                     "this hub's number in the fleet, 1 to 63")
        self.config = config
        self.hub = int(config.fleet_hub)
        self.store = store
        self.tasks = tasks
        self.license = license
        self.tracker = tracker
        self.engine = engine
        self.keys = IdempotencyRepo(store)
        self.boot_id = str(uuid.uuid4())
        self.api: str | None = api_url(config.host, int(config.port))
        self.heartbeat = float(config.fleet_heartbeat)
        self._quota_lock = threading.Lock()
        self._quota: dict[str, Any] | None = self._load_quota()
        self._queue: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        # one pass: one queued item (or the heartbeat's tick); stop() unblocks the queue wait
        self._loop = BackgroundLoop("fleet-member", self._pass,
                                    interrupt=lambda: self._queue.put(("stop", None)))
        self._started = False
        self._next_beat = self._next_prune = 0.0   # time.monotonic() deadlines, set by start()
        self._devices_due: float | None = None
        self._last_devices = 0.0
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="fleet-req")
        self.max_waiting = MAX_WAITING
        self._waiting = 0                  # requests submitted and not yet taken by a worker
        self._waiting_lock = threading.Lock()
        self.expired = 0                   # requests dropped: the gateway had given up on them
        self.refused_busy = 0              # requests answered 50301 "hub busy" at once
        self.ignored_quotas = 0            # quotas older than (or as old as) the one held
        # task changes seen under the store lock, (journal seq before the change, event): the
        # fleet-member thread publishes them once the write that made them is over (see _flush)
        self._events: list[tuple[int, dict[str, Any]]] = []
        self._events_lock = threading.Lock()
        self._unsubscribe: Callable[[], None] | None = None
        self._last_accounts: list[dict[str, Any]] | None = None
        name = topics.hub_name(self.hub)
        keepalive = int(config.fleet_keepalive)
        will = Will(topics.status(self.hub),
                    {"state": "offline", "hub": self.hub, "boot_id": self.boot_id},
                    delay=max(1, keepalive // 2))
        self.link = link_factory(name, name, config.fleet_password, config.fleet_broker,
                                 keepalive=keepalive, will=will, on_connect=self._connected,
                                 ca_file=config.fleet_ca_file, session_expiry=2 * keepalive)
        store.tasks.subscribe(self._task_changed)

    # --- lifecycle ---

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        if self._quota is None:
            log.warning("fleet: hub %d runs no task until the gateway's quota arrives "
                        "(waiting for the gateway's quota)", self.hub)
        if self.tracker is not None:
            self._unsubscribe = self.tracker.subscribe(lambda _s, _st: self._queue.put(("devices", None)))
        self.link.subscribe(topics.request(self.hub), self._on_request)
        self.link.subscribe(topics.quota(self.hub), self._on_quota)
        self._next_beat = time.monotonic()
        self._next_prune = time.monotonic() + 5.0
        self._devices_due = None
        self._last_devices = 0.0
        self._loop.start()
        self.link.start()

    def stop(self) -> None:
        """Offline status (retained) first, then a clean DISCONNECT (no will)."""
        if not self._started:
            return
        self._started = False
        self._loop.stop(5)
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.link.publish(topics.status(self.hub),
                          {"state": "offline", "hub": self.hub, "boot_id": self.boot_id,
                           "ts": time.time()}, retain=True, wait=2.0)
        self.link.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def set_api(self, url: str) -> None:
        """The Local API's address once the server is bound (`appliance serve` knows the real
        port, the config may say 0); republished with status and info."""
        self.api = url
        self._queue.put(("connected", None))

    # --- the quota and the device limit ---

    def _load_quota(self) -> dict[str, Any] | None:
        found = self.store.meta.get(QUOTA_KEY)
        if isinstance(found, dict) and isinstance(found.get("limit"), int):
            return found
        return None

    def device_limit(self) -> int:
        """min(plan, quota); 0 until the first quota arrives (the engine asks at every pass)."""
        plan_limit = int(self.license.plan().device_limit)
        quota = self._quota
        if quota is None:
            return 0
        return max(0, min(plan_limit, int(quota["limit"])))

    def quota_info(self) -> dict[str, Any]:
        """What `/license/check` shows about the fleet."""
        quota = self._quota
        info: dict[str, Any] = {"hub": self.hub, "broker_connected": self.link.connected,
                                "quota_limit": None if quota is None else quota["limit"],
                                "quota_epoch": None if quota is None else quota["epoch"],
                                "device_limit": self.device_limit()}
        if quota is None:
            info["message"] = (f"Hub {self.hub} is waiting for the gateway's quota: it runs no "
                               "task until the fleet gateway assigns it a share of the plan.")
        else:
            info["message"] = (f"Hub {self.hub} may run tasks on {self.device_limit()} phones at "
                               f"once (fleet quota {quota['limit']}, epoch {quota['epoch']}).")
        return info

    def _on_quota(self, topic: str, payload: Payload, properties: Properties | None) -> None:
        # applied on the fleet-member thread, one after the other in the order they came: two
        # quotas close together (a republish on connect and a rebalance) never swap
        self._queue.put(("apply_quota", payload))

    def _apply_quota(self, payload: Payload) -> None:
        if not isinstance(payload, dict):
            return   # an empty retained message: the gateway forgot us; keep the last quota
        limit, epoch = payload.get("limit"), payload.get("epoch")
        if not isinstance(limit, int) or not isinstance(epoch, int) or limit < 0:
            log.warning("fleet: ignored a quota that is not {limit, epoch}: %r", payload)
            return
        with self._quota_lock:
            current = self._quota
            if current is not None and epoch <= current["epoch"]:
                if epoch < current["epoch"] or limit != current["limit"]:
                    log.warning("fleet: hub %d ignored the quota %d (epoch %d): it holds epoch %d "
                                "already (quota %d); a gateway whose quota state was reset must "
                                "publish a higher epoch", self.hub, limit, epoch, current["epoch"],
                                current["limit"])
                    self.ignored_quotas += 1
                return
            quota = {"limit": limit, "epoch": epoch, "at": time.time()}
            self.store.meta.set(QUOTA_KEY, quota)
            self._quota = quota
        log.info("fleet: hub %d quota %d phones (epoch %d)", self.hub, limit, epoch)
        if self.engine is not None:
            self.engine.wake()
        self._queue.put(("quota", None))   # acknowledge the epoch at once (stats, info)

    # --- publishing (the fleet-member thread) ---

    def _connected(self) -> None:
        # paho's network thread: hand over, publish from our thread
        self._queue.put(("connected", None))

    def _pass(self) -> float:
        """The fleet-member thread's pass: one queued item, or the heartbeat's tick when none
        came in time. Returns 0.0 (the queue wait is the loop's wait); a failure is logged and
        the next item is taken at once."""
        now = time.monotonic()
        due = self._devices_due
        wait_until = self._next_beat if due is None else min(self._next_beat, due)
        try:
            kind, item = self._queue.get(timeout=max(0.0, wait_until - now))
        except queue.Empty:
            kind, item = "tick", None
        if kind == "stop":
            return 0.0
        try:
            if kind == "apply_quota":
                self._apply_quota(item)
            elif kind == "connected":
                self._publish_all()
                self._last_devices = time.monotonic()
                self._devices_due = None
                self._next_beat = time.monotonic() + self.heartbeat
            elif kind == "event":
                for event in self._flush():
                    self.link.publish(topics.events(self.hub), event, qos=0)
            elif kind == "quota":
                self._publish_stats()
                self.link.publish(topics.info(self.hub), self.info(), retain=True)
            elif kind == "devices" and self._devices_due is None:
                self._devices_due = max(time.monotonic(), self._last_devices + DEVICES_MIN_INTERVAL)
            now = time.monotonic()
            if self._devices_due is not None and now >= self._devices_due:
                self._devices_due = None
                self._last_devices = now
                self._publish_devices()
            if now >= self._next_beat:
                self._next_beat = now + self.heartbeat
                self._publish_stats()
                self._publish_accounts(only_changed=True)
            if now >= self._next_prune:
                self._next_prune = now + PRUNE_EVERY
                self.keys.prune(time.time())
        except errors.StoreError as exc:
            log.warning("fleet: %s", exc.message)
        except Exception:
            log.exception("fleet: publishing hub %d's state failed", self.hub)
        return 0.0

    def _publish_all(self) -> None:
        self.link.publish(topics.status(self.hub), self.status(), retain=True)
        self.link.publish(topics.info(self.hub), self.info(), retain=True)
        self._publish_devices()
        self._publish_accounts(only_changed=False)
        self._publish_stats()

    def status(self) -> dict[str, Any]:
        return {"state": "online", "hub": self.hub, "boot_id": self.boot_id,
                "version": __version__, "api": self.api, "ts": time.time()}

    def info(self) -> dict[str, Any]:
        return {"hub": self.hub, "version": __version__, "plan": self.license.plan().name,
                "device_limit": self.device_limit(), "api": self.api, "ts": time.time()}

    def devices(self) -> list[dict[str, Any]]:
        if self.tracker is None:
            return []
        running = {serial: task_id for task_id, serial in self._running().items()}
        out = []
        for info in self.tracker.list():
            # the hub API's device object (serial, state, usable, unusable_reason, model, ...)
            # so the gateway can serve GET /device from it, plus the task running on it
            out.append({**info.to_dict(), "running_task": running.get(info.serial)})
        return out

    def accounts(self) -> list[dict[str, Any]]:
        return [{"username": a.get("username"), "serial": a.get("device"),
                 "enabled": a.get("enabled", True)} for a in self.store.accounts.list()]

    def stats(self) -> dict[str, Any]:
        counts = self.store.tasks.stats()
        quota = self._quota
        return {"ts": time.time(), **counts,
                "running_phones": len(set(self._running().values())),
                "quota_limit": None if quota is None else quota["limit"],
                "quota_epoch": None if quota is None else quota["epoch"]}

    def _running(self) -> dict[int, str]:
        return self.engine.running() if self.engine is not None else {}

    def _publish_devices(self) -> None:
        self.link.publish(topics.devices(self.hub), {"ts": time.time(), "devices": self.devices()},
                          retain=True)

    def _publish_accounts(self, only_changed: bool) -> None:
        accounts = self.accounts()
        if only_changed and accounts == self._last_accounts:
            return
        if self.link.publish(topics.accounts(self.hub), {"ts": time.time(), "accounts": accounts},
                             retain=True):
            self._last_accounts = accounts

    def _publish_stats(self) -> None:
        self.link.publish(topics.stats(self.hub), self.stats(), retain=True, expiry=STATS_EXPIRY)

    def _task_changed(self, task_id: int, serial: str | None, old: int | None,
                      new: int | None) -> None:
        # Under the store lock, maybe inside a write that is still to commit or roll back: note
        # the change with the journal's sequence number; our thread publishes it after the write.
        if not self.link.connected:
            return
        if RUNNING in (old, new):
            self._queue.put(("devices", None))   # a phone's running_task changed
        with self._events_lock:
            self._events.append((self.store.storage.last_seq, {
                "id": f"{self.boot_id}-{task_id}-{time.monotonic_ns()}", "type": "task_status",
                "data": {"task_id": task_id, "serial": serial, "status": new, "previous": old},
                "ts": time.time()}))
        self._queue.put(("event", None))

    def _flush(self) -> list[dict[str, Any]]:
        """The task events of finished writes, net of rolled-back ones.

        Taken under the store lock, so no write is half done. Changes noted with the same
        journal sequence number belong to one write, or to a rolled-back write and the next one
        (a rollback writes no record, and undoes its changes, telling the listeners): per task,
        such a group nets to (first previous, last status), and a rolled-back change nets to
        nothing. A create that was undone thus sends no event."""
        with self.store.reading(), self._events_lock:
            noted, self._events = self._events, []
        out: list[dict[str, Any]] = []
        group: dict[int, dict[str, Any]] = {}
        seq: int | None = None
        for at, event in [*noted, (-1, {})]:
            if at != seq:
                for first in group.values():
                    data = first["data"]
                    if data["previous"] != data["status"]:
                        new = data["status"]
                        data["status_name"] = "deleted" if new is None else STATUS_NAMES[new]
                        out.append(first)
                group, seq = {}, at
            if not event:
                break
            task_id = event["data"]["task_id"]
            if task_id in group:
                group[task_id]["data"]["status"] = event["data"]["status"]
            else:
                group[task_id] = event
        return out

    # --- requests (the pool) ---

    def _on_request(self, topic: str, payload: Payload, properties: Properties | None) -> None:
        # paho's network thread: queue it for a worker, or answer "busy" at once
        received = time.monotonic()
        with self._waiting_lock:
            waiting = self._waiting
            if waiting < self.max_waiting:
                self._waiting += 1
        if waiting >= self.max_waiting:
            self.refused_busy += 1
            self.link.respond(properties, error_envelope(errors.Busy(
                f"hub {self.hub} busy: {waiting} fleet requests are waiting already; retry "
                "shortly (with the same Idempotency-Key)")))
            return
        try:
            self._pool.submit(self._answer, payload, properties, received)
        except RuntimeError:   # the pool is shut down: the hub is stopping
            with self._waiting_lock:
                self._waiting -= 1

    def _answer(self, payload: Payload, properties: Properties | None, received: float) -> None:
        with self._waiting_lock:
            self._waiting -= 1
        expiry = getattr(properties, "MessageExpiryInterval", None) if properties is not None else None
        waited = time.monotonic() - received
        if isinstance(expiry, int) and waited > expiry:
            # the broker gives us what was left of the requester's expiry: it has given up
            self.expired += 1
            op = payload.get("op") if isinstance(payload, dict) else None
            log.warning("fleet: dropped a %r request that waited %.1fs for a worker, past its "
                        "expiry of %ds (the gateway has given up on it)", op, waited, expiry)
            return
        try:
            answer = envelope(self.handle(payload))
        except errors.ApplianceError as exc:
            answer = error_envelope(exc)
        except Exception as exc:
            log.exception("fleet: a request failed: %r", payload)
            answer = error_envelope(errors.InternalError(
                f"hub {self.hub} failed on this request ({type(exc).__name__}); see its log"))
        self.link.respond(properties, answer)

    def handle(self, request: Payload) -> Any:
        """One request `{"op", "args", "key"}` -> the data of the answer (ApplianceError on
        failure). Ids are this hub's local ids."""
        if not isinstance(request, dict) or not isinstance(request.get("op"), str):
            raise errors.InvalidParams("a fleet request is {op, args, key}")
        op = request["op"]
        args = request.get("args") or {}
        if not isinstance(args, dict):
            raise errors.InvalidParams("a fleet request's args must be an object")
        if op == "create":
            return self._create(args, request.get("key"))
        if op == "list":
            return self._list(args)
        if op == "retry_all":
            return self.tasks.retry_all()
        if op == "delete_many":
            ids = args.get("ids")
            if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
                raise errors.InvalidParams("Invalid parameter ids: a list of task ids.",
                                           data={"field": "ids"})
            return self.tasks.delete_many(ids)
        if op in ("get", "stop", "retry", "delete"):
            task_id = args.get("id")
            if not isinstance(task_id, int) or isinstance(task_id, bool):
                raise errors.InvalidParams("Invalid parameter id: a task id.", data={"field": "id"})
            return getattr(self.tasks, op)(task_id)
        if op == "stats":
            return self.stats()
        raise errors.InvalidParams(f"hub {self.hub} does not know the fleet request {op!r}")

    def _create(self, body: dict[str, Any], key: Any) -> Any:
        def create() -> dict[str, Any]:
            # the hub's own POST /task data, whole (task_ids, created_count, unknown_serials,
            # ignored_fields, ...): the gateway reports what the hub reports
            return dict(self.tasks.create(body, source="api"))
        if not isinstance(key, str) or not key:
            return create()
        answer, _replayed = self.keys.run_once(key, time.time(), create)
        return answer

    def _list(self, args: dict[str, Any]) -> dict[str, Any]:
        raw = args.get("filters") or {}
        offset, limit = args.get("offset", 0), args.get("limit", 20)
        if not isinstance(raw, dict) or not isinstance(offset, int) or not isinstance(limit, int):
            raise errors.InvalidParams("a list request is {filters: {}, offset: int, limit: int}")
        if limit > MAX_LIST_LIMIT:
            raise errors.InvalidParams(
                f"Invalid parameter limit: {limit} rows in one fleet list request; at most "
                f"{MAX_LIST_LIMIT} (ask for a smaller page, or filter)", data={"field": "limit"})
        filters: dict[str, Any] = {k: raw[k] for k in LIST_FILTERS if k in raw}
        if "group" in raw:
            members = frozenset(self.tasks.groups.serials_of([raw["group"]], field="group"))
            filters["serial"] = members & {filters["serial"]} if "serial" in filters else members
        found, total = self.store.tasks.list(filters, max(0, offset), max(0, limit))
        return {"tasks": [public(t) for t in found], "total": total}
