"""FleetTasks (issue 17): TaskService's methods over every hub, by requests through the broker.

Owns the routing of POST /task by serial or username, the merge of the hubs' lists (newest
first, fleet ids) and the fan-outs (one deadline each). Request threads call it; requests wait on
the link's futures, fan-outs run on a small pool of its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Protocol

from appliance.config import Config
from appliance.errors import ApplianceError, Busy, InvalidParams, NotFound
from appliance.fleet import topics
from appliance.fleet.link import HubTimeout
from appliance.fleet.topics import fleet_id
from appliance.scripts.protocols import ScriptRegistry
from appliance.services.fleet_view import FleetView, hub_api_hint

log = logging.getLogger("appliance.gateway")

MAX_PAGE_SIZE = 100
MAX_MERGE_ROWS = 10000     # page * page_size beyond this is refused (the hubs' own list cap)
# The Idempotency-Key header of the request being served (set by the gateway app's middleware).
CLIENT_KEY: ContextVar[str | None] = ContextVar("gateway_client_key", default=None)
FAN_OUT_GRACE = 1.0        # s a fan-out waits beyond fleet_request_timeout (pool queueing)
KEYS_KEPT = 10000          # client Idempotency-Keys remembered (with their body) for refusals
KEY_SECONDS = 24 * 3600    # ... and for how long: as long as a hub keeps its keys
# What a stop/retry/delete that timed out may have done, and what to do about it.
MAYBE_APPLIED = {
    "stop": "the stop may have been applied: check the task (GET /task/{id}) before retrying",
    "retry": "the retry may have been applied: check the task (GET /task/{id}) before retrying",
    "delete": "the delete may have been applied: check the task (GET /task/{id}) before "
              "retrying",
    "delete_many": "some deletes may have been applied: check the tasks before retrying",
    "retry_all": "the retries may have been applied: check GET /task before retrying",
}


def body_digest(route: str, body: dict[str, Any]) -> str:
    """A canonical hash of a request's route and JSON body (key order and spacing do not count)."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hashlib.sha256(f"{route}\0{text}".encode()).hexdigest()


def hub_key(client_key: str, digest: str, hub: int) -> str:
    """The idempotency key of one hub's part of a keyed create: the client's key, the body's
    digest and the hub, so a key reused with another body can never return the first answer."""
    return hashlib.sha256(f"{client_key}\0{digest}\0hub-{hub}".encode()).hexdigest()


def where_is(task_id: int) -> tuple[int, int] | None:
    """fleet id -> (hub, local id); None when it cannot be one."""
    try:
        return topics.split_id(task_id)
    except ValueError:
        return None


class Link(Protocol):
    """What the gateway uses of `appliance.fleet.link.Link`."""

    @property
    def connected(self) -> bool: ...

    def publish(self, topic: str, obj: Any, retain: bool = False, qos: int = 1,
                expiry: int | None = None, wait: float = 0.0) -> bool: ...

    def request(self, topic: str, payload: Any, response_topic: str, timeout: float) -> Any: ...


class HubError(ApplianceError):
    """An error a hub answered: its own code and message, passed on."""

    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(message, data)
        self.code = code
        self.http_status = int(str(code)[:3]) if len(str(code)) == 5 else 500


def _key(created_at: Any) -> float:
    try:
        return datetime.fromisoformat(str(created_at)).timestamp()
    except ValueError:
        return 0.0


def merge_newest_first(lists: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Task lists (fleet ids) merged by (created_at desc, id desc), as the hubs each order theirs."""
    rows = [row for rows in lists for row in rows]
    rows.sort(key=lambda t: (_key(t.get("created_at")), int(t.get("id", 0))), reverse=True)
    return rows


def unique_ids(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` without a second row of the same id (the first, newest-ordered one is kept)."""
    seen: set[Any] = set()
    out = []
    for row in rows:
        if row.get("id") not in seen:
            seen.add(row.get("id"))
            out.append(row)
    return out


def as_fleet_task(task: dict[str, Any], hub: int) -> dict[str, Any]:
    out = dict(task)
    if isinstance(out.get("id"), int):
        out["id"] = fleet_id(out["id"], hub)
    out["hub"] = hub
    return out


def _ordered_ids(targets: list[str], hub_of: dict[str, int],
                 answers: dict[int, list[int]]) -> list[int]:
    """The created fleet ids in the request's target order when each hub made the same number
    of tasks per target (the usual case); else hub by hub in order of first appearance."""
    per_hub: dict[int, list[str]] = {}
    for target in targets:
        per_hub.setdefault(hub_of[target], []).append(target)
    chunks: dict[int, int] = {}
    for hub, ids in answers.items():
        count = len(per_hub.get(hub, []))
        if count == 0 or len(ids) % count:
            return [i for hub in per_hub for i in answers.get(hub, [])]
        chunks[hub] = len(ids) // count
    out: list[int] = []
    used = dict.fromkeys(answers, 0)
    for target in targets:
        hub = hub_of[target]
        size = chunks[hub]
        out.extend(answers[hub][used[hub]:used[hub] + size])
        used[hub] += size
    return out


class FleetTasks:
    """TaskService's methods over the fleet. Every id in and out is a fleet id."""

    def __init__(self, config: Config, view: FleetView, link: Link, gateway_id: str,
                 registry: ScriptRegistry):
        self.config = config
        self.view = view
        self.link = link
        self.gateway_id = gateway_id
        self.registry = registry
        self.timeout = float(config.fleet_request_timeout)
        workers = max(8, 4 * config.threads)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gw-fanout")
        self._keys: OrderedDict[str, tuple[str, float]] = OrderedDict()   # key -> (digest, when)
        self._keys_lock = threading.Lock()

    # --- plumbing ----------------------------------------------------------------------------

    def require_broker(self) -> None:
        if not self.link.connected:
            raise Busy("The gateway cannot reach the fleet's broker (broker unreachable); retry "
                       "shortly, or call a hub's own API: " + hub_api_hint(self.view) + ".")

    def ask(self, hub: int, op: str, args: dict[str, Any], key: str | None = None,
            keyed: bool = False) -> Any:
        """One request to one hub; its answer's data, or its error raised as ours. `keyed`:
        the client sent an Idempotency-Key (what a timeout's advice says depends on it)."""
        self.require_broker()
        try:
            answer = self.link.request(topics.request(hub), {"op": op, "args": args, "key": key},
                                       topics.response(self.gateway_id, hub), self.timeout)
        except HubTimeout:
            raise HubTimeout(self._timeout_advice(hub, op, args, keyed),
                             data={"hub": hub, "op": op}) from None
        if not isinstance(answer, dict) or not isinstance(answer.get("code"), int):
            raise Busy(f"hub {hub} answered something that is not an envelope; check that it "
                       "runs the same version as the gateway.")
        if answer["code"] != 0:
            raise HubError(answer["code"], str(answer.get("message") or "hub error"),
                           answer.get("data"))
        return answer.get("data")

    def _timeout_advice(self, hub: int, op: str, args: dict[str, Any], keyed: bool) -> str:
        """What a client should do after hub `hub` did not answer `op` in time."""
        late = f"Hub {hub} did not answer within {self.timeout:g} s"
        if op == "create":
            if keyed:
                return (f"{late}; its tasks may have been created: retry with the same "
                        "Idempotency-Key (a retry creates only what is missing).")
            return (f"{late}; its tasks may have been created: check GET /task before "
                    "retrying; send an Idempotency-Key header to make retries safe.")
        if op in MAYBE_APPLIED:
            local = args.get("id")
            task = (str(fleet_id(local, hub)) if isinstance(local, int) and local > 0
                    else "{id}")
            return f"{late}; {MAYBE_APPLIED[op].replace('{id}', task)}."
        return f"{late}; nothing was changed: retry shortly."

    def require_up(self, hubs: Iterable[int]) -> None:
        down = [n for n in sorted(set(hubs)) if not self.view.up(n)]
        if down:
            why = "; ".join(self.view.why_down(n) for n in down)
            raise Busy(f"Hub{'s' if len(down) > 1 else ''} {', '.join(map(str, down))} cannot "
                       f"take this request now ({why}); nothing was written. Retry when it is "
                       "back, or choose phones on other hubs.",
                       data={"missing_hubs": down})

    def _hub_of_task(self, task_id: int) -> tuple[int, int]:
        where = where_is(task_id)
        if where is None or self.view.hub(where[0]) is None:
            raise NotFound(f"Task {task_id} does not exist.", data={"id": task_id})
        self.require_up([where[0]])
        return where

    def _fan_out(self, hubs: list[int], call: Callable[[int], Any]) -> tuple[dict[int, Any],
                                                                             list[int]]:
        """call(hub) on each hub in parallel: (answers by hub, hubs that did not answer or
        answered an error, each logged with its reason). One deadline for the whole fan-out."""
        deadline = time.monotonic() + self.timeout + FAN_OUT_GRACE
        futures = {n: self.pool.submit(call, n) for n in hubs}
        answers: dict[int, Any] = {}
        missing: list[int] = []
        for n, future in futures.items():
            try:
                answers[n] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                future.cancel()
                log.warning("hub %d left out: no answer within %.3g s", n,
                            self.timeout + FAN_OUT_GRACE)
                missing.append(n)
            except ApplianceError as exc:
                log.warning("hub %d left out: %s", n, exc.message)
                missing.append(n)
        return answers, missing

    def _split_known(self) -> tuple[list[int], list[int]]:
        """(UP hubs, known hubs that are not UP)."""
        known = self.view.numbers()
        up = [n for n in known if self.view.up(n)]
        return up, [n for n in known if n not in up]

    # --- create ------------------------------------------------------------------------------

    def create(self, body: dict[str, Any], source: str = "api",
               schedule_id: int | None = None) -> dict[str, Any]:
        name = body["script_name"]
        self._validate(name, body)
        if body.get("groups"):
            raise InvalidParams("Invalid parameter groups: device groups belong to each hub; "
                                "through the gateway give serials, or use a hub's own API: "
                                + hub_api_hint(self.view) + ".", data={"field": "groups"})
        if "usernames" in body:
            field_name, targets = "usernames", list(dict.fromkeys(
                u[1:] if u.startswith("@") else u for u in body["usernames"]))
            owners: Callable[[str], list[int]] = self.view.username_hubs
            what = "account"
        else:
            field_name, targets = "serials", list(dict.fromkeys(body.get("serials", [])))
            owners = self.view.serial_route
            what = "phone"
        if not targets:
            raise InvalidParams(f"Invalid parameter {field_name}: give at least one.",
                                data={"field": field_name})
        hub_of: dict[str, int] = {}
        for target in targets:
            found = owners(target)
            if not found:
                raise InvalidParams(f"Invalid parameter {field_name}: {what} {target!r} is on no "
                                    "hub of the fleet; check the name (GET /device, "
                                    "GET /account).", data={"field": field_name, "value": target})
            if len(found) > 1:
                raise InvalidParams(f"Invalid parameter {field_name}: {what} {target!r} is on "
                                    f"hubs {', '.join(map(str, found))}; the gateway does not "
                                    "guess: remove it from all but one, or call that hub's own "
                                    "API.", data={"field": field_name, "value": target,
                                                  "hubs": found})
            hub_of[target] = found[0]
        hubs = sorted(set(hub_of.values()))
        self.require_up(hubs)
        client_key = CLIENT_KEY.get()
        digest = body_digest("POST /task", body)
        if client_key:
            self._remember_key(client_key, digest)

        def create_on(hub: int) -> dict[str, Any]:
            args = {**body, field_name: [t for t in targets if hub_of[t] == hub]}
            args.pop("groups", None)
            key = hub_key(client_key, digest, hub) if client_key else uuid.uuid4().hex
            data = self.ask(hub, "create", args, key, keyed=bool(client_key))
            return data if isinstance(data, dict) else {}

        deadline = time.monotonic() + self.timeout + FAN_OUT_GRACE
        futures = {n: self.pool.submit(create_on, n) for n in hubs}
        answers: dict[int, dict[str, Any]] = {}
        failed: list[tuple[int, ApplianceError]] = []
        for n, future in futures.items():
            try:
                answers[n] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                future.cancel()
                failed.append((n, HubTimeout(self._timeout_advice(n, "create", {},
                                                                  bool(client_key)))))
            except ApplianceError as exc:
                failed.append((n, exc))
        if failed:
            n, error = failed[0]
            done = sorted(answers)
            if not done:
                raise error
            refused = [(n, e) for n, e in failed if e.code < 50000]
            if refused:
                # A hub said no (not "no answer"): all or nothing, as one hub's create is.
                raise self._undo(answers, *refused[0], bool(client_key))
            again = ("retry with the same Idempotency-Key to create only what is missing"
                     if client_key else "check GET /task before retrying; send an "
                     "Idempotency-Key header to make retries safe")
            raise Busy(f"Hub {n} failed ({error.message}) after hub(s) {', '.join(map(str, done))} "
                       f"created their tasks; {again}.",
                       data={"created_on": done, "task_ids": [
                           fleet_id(i, h) for h in done for i in answers[h].get("task_ids", [])]})
        ids = {n: [fleet_id(int(i), n) for i in answers[n].get("task_ids", [])] for n in hubs}
        task_ids = _ordered_ids(targets, hub_of, ids)
        ignored: list[str] = []
        for n in hubs:
            for f in answers[n].get("ignored_fields", []) or []:
                if f not in ignored:
                    ignored.append(f)
        return {"task_ids": task_ids, "created_count": len(task_ids), "unknown_serials": [],
                "ignored_fields": ignored}

    def _remember_key(self, client_key: str, digest: str) -> None:
        """Refuse a client Idempotency-Key the gateway saw (within a day) with another body:
        40001, nothing sent. (After a gateway restart the hubs' keys still differ by body.)"""
        now = time.monotonic()
        with self._keys_lock:
            seen = self._keys.get(client_key)
            if seen is not None and now - seen[1] < KEY_SECONDS and seen[0] != digest:
                raise InvalidParams("Invalid parameter Idempotency-Key: Idempotency-Key reused "
                                    "with a different body; send a new key for a new request.",
                                    data={"field": "Idempotency-Key"})
            if seen is None or now - seen[1] >= KEY_SECONDS:
                self._keys[client_key] = (digest, now)
            self._keys.move_to_end(client_key)
            while len(self._keys) > KEYS_KEPT:
                self._keys.popitem(last=False)

    def _undo(self, answers: dict[int, dict[str, Any]], hub: int, error: ApplianceError,
              keyed: bool) -> ApplianceError:
        """Delete what the other hubs created when `hub` refused its part; the refusal to
        answer, saying what became of the rest."""
        kept: list[int] = []
        for n, data in sorted(answers.items()):
            ids = [int(i) for i in data.get("task_ids", [])]
            try:
                self.ask(n, "delete_many", {"ids": ids})
            except ApplianceError as exc:
                log.warning("could not undo the tasks %s of hub %d after hub %d refused: %s",
                            ids, n, hub, exc.message)
                kept += [fleet_id(i, n) for i in ids]
        if kept:
            what = f"the tasks {kept} other hubs created could not be deleted: delete them"
        else:
            what = "nothing was kept on the other hubs"
        if keyed:
            what += "; retry with a new Idempotency-Key"
        out = HubError(error.code, f"Hub {hub}: {error.message} ({what}).", error.data)
        out.http_status = error.http_status
        return out

    def _validate(self, name: str, body: dict[str, Any]) -> None:
        """What the hubs would refuse, refused before any hub writes (all or nothing)."""
        min_i, max_i = body.get("min_interval", 1), body.get("max_interval", 5)
        if min_i > max_i:
            raise InvalidParams(f"Invalid parameter min_interval: {min_i} is greater than "
                                f"max_interval {max_i}.", data={"field": "min_interval"})
        script = self.registry.get(name)          # 40003 listing the supported names
        config = body.get("script_config") or {}
        known = script.schema.get("properties", {})
        if isinstance(config, dict):
            config = {k: v for k, v in config.items() if k in known}
        script.validate(config)                    # 40001 naming script_config.<field>

    # --- read --------------------------------------------------------------------------------

    def list(self, query: dict[str, Any]) -> dict[str, Any]:
        page = query.get("page", 1)
        size = min(query.get("page_size", 20), MAX_PAGE_SIZE)
        if "group" in query:
            raise InvalidParams("Invalid parameter group: device groups belong to each hub; "
                                "filter by serial here, or use a hub's own API: "
                                + hub_api_hint(self.view) + ".", data={"field": "group"})
        need = page * size
        if need > MAX_MERGE_ROWS:
            raise InvalidParams(f"Invalid parameter page: the gateway merges at most "
                                f"{MAX_MERGE_ROWS} tasks; narrow the list with filters.",
                                data={"field": "page"})
        filters = {k: query[k] for k in ("status", "serial", "script_name", "source", "username")
                   if k in query}
        self.require_broker()
        up, down = self._split_known()

        def fetch(hub: int) -> tuple[list[dict[str, Any]], int]:
            # The hub's top `need` rows in ONE request: chunks by offset would shift under a
            # create or delete between them (duplicates and gaps).
            data = self.ask(hub, "list", {"filters": filters, "offset": 0, "limit": need})
            data = data if isinstance(data, dict) else {}
            rows = [as_fleet_task(t, hub) for t in data.get("tasks", []) if isinstance(t, dict)]
            return rows, int(data.get("total", 0) or 0)

        answers, missing = self._fan_out(up, fetch)
        merged = unique_ids(merge_newest_first(rows for rows, _ in answers.values()))
        missing_hubs = sorted(down + missing)
        return {"tasks": merged[(page - 1) * size: need],
                "total": sum(total for _, total in answers.values()),
                "page": page, "page_size": size, "partial": bool(missing_hubs),
                "missing_hubs": missing_hubs}

    def get(self, task_id: int) -> dict[str, Any]:
        hub, local = self._hub_of_task(task_id)
        return self._task(hub, self._item(hub, "get", local, task_id))

    def _item(self, hub: int, op: str, local: int, task_id: int) -> Any:
        try:
            return self.ask(hub, op, {"id": local})
        except HubError as exc:
            if exc.code == 40401:   # the hub's message names its local id
                raise NotFound(f"Task {task_id} does not exist.", data={"id": task_id}) from None
            raise

    @staticmethod
    def _task(hub: int, data: Any) -> dict[str, Any]:
        return as_fleet_task(data, hub) if isinstance(data, dict) else {}

    def stats(self) -> dict[str, Any]:
        totals = dict.fromkeys(("total", "pending", "running", "completed", "failed"), 0)
        stale: list[dict[str, Any]] = []
        missing: list[int] = []
        for hub in self.view.hubs():
            stats = hub.get("stats")
            if not stats:
                missing.append(hub.number)
                continue
            for k in totals:
                totals[k] += int(stats.get(k, 0) or 0)
            if not self.view.is_up(hub):
                age = self.view.stats_age(hub)
                stale.append({"hub": hub.number, "age": round(age or 0.0, 1),
                              "online": hub.online})
        return {**totals, "stale_hubs": stale, "missing_hubs": missing,
                "hubs": len(self.view.numbers()), "broker_connected": self.link.connected}

    # --- change ------------------------------------------------------------------------------

    def stop(self, task_id: int, remark: str = "stopped") -> dict[str, Any]:
        hub, local = self._hub_of_task(task_id)
        return self._task(hub, self._item(hub, "stop", local, task_id))

    def retry(self, task_id: int) -> dict[str, Any]:
        hub, local = self._hub_of_task(task_id)
        return self._task(hub, self._item(hub, "retry", local, task_id))

    def retry_all(self) -> dict[str, Any]:
        self.require_broker()
        up, down = self._split_known()
        answers, missing = self._fan_out(up, lambda n: self.ask(n, "retry_all", {}))
        retried: list[int] = []
        skipped: list[int] = []
        cap = self.config.max_retry_count
        for n, data in sorted(answers.items()):
            data = data if isinstance(data, dict) else {}
            retried += [fleet_id(int(i), n) for i in data.get("task_ids", [])]
            skipped += [fleet_id(int(i), n) for i in data.get("skipped_ids", [])]
            cap = int(data.get("max_retry_count", cap))
        missing_hubs = sorted(down + missing)
        return {"task_ids": retried, "retried_count": len(retried), "skipped_ids": skipped,
                "skipped_count": len(skipped), "max_retry_count": cap,
                "partial": bool(missing_hubs), "missing_hubs": missing_hubs}

    def delete(self, task_id: int) -> dict[str, Any]:
        hub, local = self._hub_of_task(task_id)
        data = self._item(hub, "delete", local, task_id)
        ids = data.get("deleted_ids", []) if isinstance(data, dict) else []
        return {"deleted_ids": [fleet_id(int(i), hub) for i in ids]}

    def delete_many(self, task_ids: Sequence[int]) -> dict[str, Any]:
        ids = [int(i) for i in dict.fromkeys(task_ids)]
        by_hub: dict[int, list[int]] = {}
        not_found: list[int] = []
        for task_id in ids:
            where = where_is(task_id)
            if where is None or self.view.hub(where[0]) is None:
                not_found.append(task_id)
            else:
                by_hub.setdefault(where[0], []).append(where[1])
        if by_hub:
            self.require_broker()
        up = [n for n in by_hub if self.view.up(n)]
        answers, missing = self._fan_out(
            up, lambda n: self.ask(n, "delete_many", {"ids": by_hub[n]}))
        missing_hubs = sorted([n for n in by_hub if n not in up] + missing)
        deleted: set[int] = set()
        for n, data in answers.items():
            data = data if isinstance(data, dict) else {}
            deleted.update(fleet_id(int(i), n) for i in data.get("deleted_ids", []))
            not_found += [fleet_id(int(i), n) for i in data.get("not_found", [])]
        unreached = [fleet_id(local, n) for n in missing_hubs for local in by_hub[n]]
        gone = set(not_found)
        return {"deleted_ids": [i for i in ids if i in deleted],
                "not_found": [i for i in ids if i in gone], "not_reached": unreached,
                "partial": bool(missing_hubs), "missing_hubs": missing_hubs}

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
