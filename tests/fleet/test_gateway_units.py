"""The gateway's rules without a broker: FleetView liveness, FleetTasks routing, merging and
error answers against fake hubs, and the quota split (sum never above the limit, shrink first)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from appliance.config import Config
from appliance.errors import ApplianceError
from appliance.fleet.topics import fleet_id, split_id
from appliance.scripts import default_registry
from appliance.services.fleet_tasks import FleetTasks, merge_newest_first
from appliance.services.fleet_view import FleetView
from appliance.services.quotas import Quotas, allocate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


CONFIG = Config(fleet_request_timeout=1.0, max_retry_count=3)


class FakeHub:
    """A hub's request handler over a list of task dicts (newest first by id)."""

    def __init__(self, n: int):
        self.n = n
        self.tasks: list[dict[str, Any]] = []
        self.ids = itertools.count(1)
        self.requests: list[dict[str, Any]] = []

    def answer(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(payload)
        op, args = payload["op"], payload["args"]
        if op == "create":
            ids = []
            for serial in args["serials"]:
                i = next(self.ids)
                self.tasks.append({"id": i, "serial": serial, "status": 0,
                                   "created_at": f"2026-05-04T09:30:{i:02d}+00:00"})
                ids.append(i)
            return {"code": 0, "message": "success", "data": {"task_ids": ids,
                                                              "created_count": len(ids)}}
        if op == "list":
            rows = sorted(self.tasks, key=lambda t: -t["id"])
            return {"code": 0, "message": "success", "data": {
                "tasks": rows[args["offset"]:args["offset"] + args["limit"]], "total": len(rows)}}
        if op == "delete_many":
            gone = [t["id"] for t in self.tasks if t["id"] in args["ids"]]
            self.tasks = [t for t in self.tasks if t["id"] not in gone]
            return {"code": 0, "message": "success", "data": {"deleted_ids": gone,
                                                              "not_found": []}}
        if op == "get":
            for t in self.tasks:
                if t["id"] == args["id"]:
                    return {"code": 0, "message": "success", "data": t}
            return {"code": 40401, "message": f"Task {args['id']} does not exist.", "data": None}
        if op == "retry_all":
            return {"code": 0, "message": "success", "data": {"task_ids": [], "skipped_ids": []}}
        return {"code": 40001, "message": "unknown op", "data": None}


class FakeLink:
    def __init__(self, hubs: dict[int, FakeHub]):
        self.hubs = hubs
        self.connected = True

    def publish(self, *a: Any, **k: Any) -> bool:
        return True

    def request(self, topic: str, payload: Any, response_topic: str, timeout: float) -> Any:
        n = int(topic.split("/")[3][4:])
        assert response_topic.endswith(f"/resp/hub-{n}")
        return self.hubs[n].answer(payload)


def online(view: FleetView, n: int, serials: list[str], usernames: tuple[str, ...] = ()) -> None:
    base = f"appliance/v1/hub/hub-{n}/"
    view.handle(base + "status", {"state": "online", "hub": n, "api": f"http://h{n}/api/v1"})
    view.handle(base + "devices", {"devices": [{"serial": s, "state": "device"} for s in serials]})
    view.handle(base + "accounts", {"accounts": [{"username": u, "serial": serials[0],
                                                  "enabled": True} for u in usernames]})
    view.handle(base + "stats", {"total": 0, "pending": 1, "running": 0, "completed": 0,
                                 "failed": 0, "running_phones": 0, "quota_epoch": 0})


@pytest.fixture
def fleet():
    clock = Clock()
    view = FleetView(30.0, clock)
    hubs = {n: FakeHub(n) for n in (1, 2, 3)}
    for n in hubs:
        online(view, n, [f"S{n}A", f"S{n}B"], usernames=(f"user{n}",))
    tasks = FleetTasks(CONFIG, view, FakeLink(hubs), "gw1", default_registry(CONFIG))
    yield clock, view, hubs, tasks
    tasks.close()


def code_of(call) -> int:
    with pytest.raises(ApplianceError) as caught:
        call()
    return caught.value.code


def test_ids_pack_the_hub_number():
    assert split_id(fleet_id(7, 3)) == (3, 7)
    for bad in (64, 5):
        with pytest.raises(ValueError):
            split_id(bad)


def test_create_routes_each_serial_and_answers_in_request_order(fleet):
    _clock, _view, hubs, tasks = fleet
    out = tasks.create({"script_name": "account_warmup", "serials": ["S2A", "S1A", "S2B", "S3A"]})
    assert [split_id(i)[0] for i in out["task_ids"]] == [2, 1, 2, 3]
    assert out["created_count"] == 4
    assert hubs[2].requests[0]["args"]["serials"] == ["S2A", "S2B"]
    assert hubs[2].requests[0]["key"]     # every sub-request carries an idempotency key


def test_unknown_ambiguous_and_down(fleet):
    _clock, view, hubs, tasks = fleet
    assert code_of(lambda: tasks.create({"script_name": "account_warmup", "serials": ["NOPE"]})) == 40001
    online(view, 3, ["S1A"])   # S1A now on hubs 1 and 3
    assert code_of(lambda: tasks.create({"script_name": "account_warmup", "serials": ["S1A"]})) == 40001
    view.handle("appliance/v1/hub/hub-2/status", {"state": "offline", "hub": 2})
    assert code_of(lambda: tasks.create({"script_name": "account_warmup",
                                         "serials": ["S1B", "S2A"]})) == 50301
    assert not any(r["op"] == "create" for h in hubs.values() for r in h.requests)


def test_usernames_route_by_account(fleet):
    _clock, _view, hubs, tasks = fleet
    hubs[3].answer = lambda p: {"code": 0, "message": "success",   # type: ignore[method-assign]
                                "data": {"task_ids": [9], "created_count": 1}}
    out = tasks.create({"script_name": "account_warmup", "usernames": ["@user3"]})
    assert out["task_ids"] == [fleet_id(9, 3)]


def test_a_silent_hub_is_stale(fleet):
    clock, view, _hubs, tasks = fleet
    clock.now += 31
    online(view, 1, ["S1A", "S1B"])
    assert view.up(1) and not view.up(2)
    assert code_of(lambda: tasks.create({"script_name": "account_warmup", "serials": ["S2A"]})) == 50301
    stats = tasks.stats()
    assert {s["hub"] for s in stats["stale_hubs"]} == {2, 3}


def test_list_merges_newest_first_and_reports_missing_hubs(fleet):
    _clock, view, _hubs, tasks = fleet
    for serials in (["S1A"], ["S2A"], ["S3A", "S1B"], ["S2B"], ["S1A"]):
        tasks.create({"script_name": "account_warmup", "serials": serials})
    everything = tasks.list({"page": 1, "page_size": 100})
    assert everything["total"] == 6 and not everything["partial"]
    assert everything["tasks"] == merge_newest_first([everything["tasks"]])
    walked = [t["id"] for p in range(1, 4) for t in tasks.list({"page": p, "page_size": 2})["tasks"]]
    assert walked == [t["id"] for t in everything["tasks"]]
    view.handle("appliance/v1/hub/hub-2/status", {"state": "offline", "hub": 2})
    part = tasks.list({"page": 1, "page_size": 100})
    assert part["partial"] and part["missing_hubs"] == [2] and part["total"] == 4
    one = everything["tasks"][0]
    assert tasks.get(one["id"])["id"] == one["id"]
    assert code_of(lambda: tasks.get(fleet_id(99, 1))) == 40401
    assert code_of(lambda: tasks.get(fleet_id(1, 9))) == 40401   # no hub 9


def test_allocate_never_exceeds_the_limit():
    for limit in range(12):
        out = allocate(limit, {1: 5, 2: 5, 3: 5}, {1: 5, 2: 0, 3: 2}, {})
        assert sum(out.values()) <= limit
        assert all(out[n] <= 5 for n in out)
    assert allocate(4, {1: 5, 3: 5}, {1: 5, 3: 5}, {2: 2}) == {1: 1, 3: 1, 2: 2}


def test_quotas_lower_before_they_raise(tmp_path):
    clock = Clock()
    view = FleetView(30.0, clock)
    for n in (1, 2):
        online(view, n, [f"S{n}{i}" for i in range(5)])
    published: list[tuple[int, dict[str, int]]] = []
    quotas = Quotas(tmp_path, view, lambda: 4, lambda n, m: published.append((n, m)) or True)
    quotas.tick()
    assert sum(quotas.quotas.values()) <= 4 and set(quotas.quotas) == {1, 2}
    # hub 1 drains, hub 2 has a lot pending: hub 1 is lowered; hub 2 raised only after ack
    view.handle("appliance/v1/hub/hub-1/stats", {"pending": 0, "running_phones": 0,
                                                 "quota_epoch": 0})
    view.handle("appliance/v1/hub/hub-2/stats", {"pending": 30, "running_phones": 2,
                                                 "quota_epoch": quotas.epochs[2]})
    before = dict(quotas.quotas)
    quotas.tick()
    assert quotas.quotas[1] < before[1] and quotas.quotas[2] == before[2]
    assert quotas.committed() <= 4
    view.handle("appliance/v1/hub/hub-1/stats", {"pending": 0, "running_phones": 0,
                                                 "quota_epoch": quotas.epochs[1]})
    quotas.tick()
    assert quotas.quotas[2] == 4 and quotas.committed() <= 4
    # a down hub keeps its share; the table survives a restart
    again = Quotas(tmp_path, view, lambda: 4, lambda n, m: True)
    assert again.quotas == quotas.quotas


def test_an_old_retained_heartbeat_does_not_make_a_dead_hub_up():
    clock = Clock()
    view = FleetView(30.0, clock, wall=lambda: 5000.0)
    base = "appliance/v1/hub/hub-4/"
    view.handle(base + "status", {"state": "online", "hub": 4})
    view.handle(base + "stats", {"ts": 5000.0 - 120, "pending": 0})   # retained, 2 min old
    assert not view.up(4)
    view.handle(base + "stats", {"ts": 5000.0 - 120, "pending": 0})   # a live one (skewed clock)
    assert view.up(4)
    view.reconnected()
    view.handle(base + "stats", {"ts": 5000.0 - 5, "pending": 0})
    assert view.up(4)


def test_device_events_come_from_the_hubs_retained_devices():
    from types import SimpleNamespace

    from appliance.services.fleet_reads import FleetEvents

    view = FleetView(30.0)
    events = FleetEvents(SimpleNamespace(event_buffer=100, event_subscribers=2))
    events.watch(view)
    reader = events.subscribe(None, frozenset({"device_status", "reload_devices"}))
    online(view, 2, ["A", "B"])
    view.handle("appliance/v1/hub/hub-2/devices", {"devices": [{"serial": "A", "state": "offline"}]})
    got, _ = reader.next(0)
    states = [(e.data.get("serial"), e.data.get("state")) for e in got if e.type == "device_status"]
    assert states == [("A", "device"), ("B", "device"), ("B", "absent"), ("A", "offline")]
    assert all(e.data["hub"] == 2 for e in got if e.type == "device_status")
    reader.close()


def test_clock_skew_is_measured_on_live_heartbeats(caplog):
    view = FleetView(30.0, Clock(), wall=lambda: 5000.0)
    base = "appliance/v1/hub/hub-5/"
    view.handle(base + "status", {"state": "online", "hub": 5})
    view.handle(base + "stats", {"ts": 4000.0})        # first one: maybe retained, not judged
    assert 5 not in view.skews
    with caplog.at_level("WARNING", logger="appliance.gateway"):
        view.handle(base + "stats", {"ts": 5004.0})
    assert view.skews[5] == 4.0 and "NTP" in caplog.text


def test_a_username_on_two_hubs_is_refused(fleet):
    _, view, hubs, tasks = fleet
    online(view, 2, ["S2A", "S2B"], usernames=("user1",))
    answer = code_of(lambda: tasks.create({"script_name": "account_warmup", "usernames": ["user1"]}))
    assert answer == 40001
    assert not any(r["op"] == "create" for h in hubs.values() for r in h.requests)


def test_a_hub_refusing_its_part_leaves_nothing_on_the_others(fleet):
    _, _, hubs, tasks = fleet
    hubs[2].answer = lambda p: {"code": 40004, "message": "No enabled account on S2A.",  # type: ignore[method-assign]
                                "data": None}
    with pytest.raises(ApplianceError) as caught:
        tasks.create({"script_name": "account_warmup", "serials": ["S1A", "S2A", "S3A"]})
    assert caught.value.code == 40004 and "nothing was kept" in caught.value.message
    assert hubs[1].tasks == [] and hubs[3].tasks == []


# --- review fixes (each test failed before its fix) ---------------------------------------------


def test_paging_does_not_shift_when_a_task_is_created_between_requests(fleet):
    """A hub's top rows come in one request: a create between chunk requests used to shift the
    second chunk (a duplicate on the page, a task never shown)."""
    _, _, hubs, tasks = fleet
    hub = hubs[1]
    for _ in range(150):
        tasks.create({"script_name": "account_warmup", "serials": ["S1A"]})
    plain = hub.answer

    def busy_hub(payload):
        answer = plain(payload)
        if payload["op"] == "list":      # someone creates a task right after each list
            plain({"op": "create", "args": {"serials": ["S1B"]}})
        return answer

    hub.answer = busy_hub  # type: ignore[method-assign]
    hub.requests.clear()
    page = tasks.list({"page": 2, "page_size": 100})
    ids = [t["id"] for t in page["tasks"]]
    assert len(ids) == len(set(ids)) == 50
    lists = [r for r in hub.requests if r["op"] == "list"]
    assert [(r["args"]["offset"], r["args"]["limit"]) for r in lists] == [(0, 200)]


def test_a_merged_list_never_shows_an_id_twice():
    from appliance.services.fleet_tasks import unique_ids

    rows = [{"id": 65, "created_at": "2026-05-04T09:30:02+00:00"},
            {"id": 65, "created_at": "2026-05-04T09:30:02+00:00"},
            {"id": 66, "created_at": "2026-05-04T09:30:01+00:00"}]
    assert [r["id"] for r in unique_ids(merge_newest_first([rows]))] == [65, 66]


def test_a_phone_moved_to_another_hub_is_routed_where_it_is_live(fleet):
    _, view, hubs, tasks = fleet
    # S1A moved from hub 1 to hub 2: hub 1 still lists it as absent for a while
    view.handle("appliance/v1/hub/hub-1/devices", {"devices": [
        {"serial": "S1A", "state": "absent"}, {"serial": "S1B", "state": "device"}]})
    view.handle("appliance/v1/hub/hub-2/devices", {"devices": [
        {"serial": "S2A", "state": "device"}, {"serial": "S1A", "state": "device"}]})
    out = tasks.create({"script_name": "account_warmup", "serials": ["S1A"]})
    assert [split_id(i)[0] for i in out["task_ids"]] == [2]
    assert not any(r["op"] == "create" for r in hubs[1].requests)
    # live on two hubs: still refused, naming both
    view.handle("appliance/v1/hub/hub-1/devices", {"devices": [
        {"serial": "S1A", "state": "device"}]})
    with pytest.raises(ApplianceError) as caught:
        tasks.create({"script_name": "account_warmup", "serials": ["S1A"]})
    assert caught.value.code == 40001 and "hubs 1, 2" in caught.value.message


def test_quotas_are_seeded_from_the_retained_quota_messages(tmp_path):
    """The quota file is lost while hub 2 is down (its stats expired): the broker's retained
    quota of hub 2 still counts, so hub 1 cannot be given the whole limit."""
    clock = Clock()
    view = FleetView(30.0, clock)
    online(view, 1, [f"S1{i}" for i in range(5)])
    view.handle("appliance/v1/hub/hub-1/stats", {"pending": 9, "running_phones": 0,
                                                 "quota_epoch": 0})
    quotas = Quotas(tmp_path, view, lambda: 4, lambda n, m: True)
    quotas.seed(2, {"limit": 3, "epoch": 7})         # hub 2: down, known only from the broker
    quotas.seed(2, {"limit": 1, "epoch": 5})         # an older one changes nothing
    quotas.tick()
    assert quotas.quotas[2] == 3 and quotas.quotas[1] == 1
    assert quotas.epochs[1] > 7 and quotas.committed() <= 4


def test_a_bad_heartbeat_does_not_stop_the_quotas(tmp_path):
    view = FleetView(30.0, Clock())
    online(view, 1, ["A", "B"])
    quotas = Quotas(tmp_path, view, lambda: 2, lambda n, m: True)
    quotas.tick()
    quotas.pending[1] = quotas.quotas[1]     # a lowering waiting for hub 1's acknowledgement
    view.handle("appliance/v1/hub/hub-1/stats", {"pending": None, "running_phones": None,
                                                 "quota_epoch": None, "quota_limit": None})
    quotas.tick()                     # int(None) raised here, every 2 s, forever
    assert 1 in quotas.pending and quotas.committed() <= 2   # unknown: not acknowledged


def test_a_failing_quota_pass_is_logged_once(monkeypatch, caplog):
    from types import SimpleNamespace

    from appliance.services import gateway as gw
    from tests.fixtures import wait_for

    calls = []

    def tick() -> None:
        calls.append(1)
        raise ValueError("bad stats")

    monkeypatch.setattr(gw, "QUOTA_SECONDS", 0.01)
    link = SimpleNamespace(connected=True, wait_subscribed=lambda t: True, stop=lambda: None)
    g = gw.Gateway(config=None, clock=None, view=None, link=link, gateway_id="x",
                   tasks=SimpleNamespace(close=lambda: None), devices=None, accounts=None,
                   license=None, access=None, events=None, quotas=SimpleNamespace(tick=tick))
    with caplog.at_level("INFO", logger="appliance.gateway"):
        g._loop.start()
        wait_for(lambda: len(calls) >= 10, 10, message="ten quota passes")
        assert g._loop.stop(5)
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1, caplog.text


class SlowHub(FakeHub):
    """A hub that answers an error (code 50001) or nothing in time."""

    def __init__(self, n: int, hang: bool = False):
        super().__init__(n)
        self.hang = hang

    def answer(self, payload: dict[str, Any]) -> dict[str, Any]:
        if payload["op"] in ("list", "retry_all", "delete_many"):
            if self.hang:
                import threading
                threading.Event().wait(6)
            return {"code": 50001, "message": "database is locked", "data": None}
        return super().answer(payload)


def test_one_hubs_error_or_silence_leaves_only_that_hub_out(fleet, monkeypatch):
    import time

    from appliance.services import fleet_tasks

    _, _, hubs, tasks = fleet
    # a fan-out's deadline is the request timeout plus a grace: 0.8 s here, not the 2 s of CONFIG
    tasks.timeout = 0.5
    monkeypatch.setattr(fleet_tasks, "FAN_OUT_GRACE", 0.3)
    tasks.create({"script_name": "account_warmup", "serials": ["S1A", "S2A", "S3A"]})
    hubs[2].__class__ = SlowHub
    hubs[2].hang = False
    page = tasks.list({"page": 1, "page_size": 20})
    assert page["partial"] and page["missing_hubs"] == [2] and page["total"] == 2
    assert tasks.retry_all()["missing_hubs"] == [2]
    hubs[3].__class__ = SlowHub
    hubs[3].hang = True                 # answers after 6 s, long past the fan-out's deadline
    started = time.monotonic()
    page = tasks.list({"page": 1, "page_size": 20})
    assert time.monotonic() - started < 4   # bounded by the deadline, not by the silent hub
    assert page["missing_hubs"] == [2, 3] and [t["hub"] for t in page["tasks"]] == [1]
    out = tasks.delete_many([page["tasks"][0]["id"], fleet_id(1, 2)])
    assert out["missing_hubs"] == [2] and out["not_reached"] == [fleet_id(1, 2)]


def test_an_idempotency_key_reused_with_another_body_is_refused(fleet):
    from appliance.services.fleet_tasks import CLIENT_KEY

    _, _, hubs, tasks = fleet
    token = CLIENT_KEY.set("key-1")
    try:
        tasks.create({"script_name": "account_warmup", "serials": ["S1A"]})
        first = hubs[1].requests[-1]["key"]
        tasks.create({"script_name": "account_warmup", "serials": ["S1A"]})     # a retry: same key
        assert hubs[1].requests[-1]["key"] == first
        sent = len(hubs[1].requests)
        with pytest.raises(ApplianceError) as caught:
            tasks.create({"script_name": "account_warmup", "serials": ["S1B"]})
        assert caught.value.code == 40001
        assert "reused with a different body" in caught.value.message
        assert len(hubs[1].requests) == sent
        # a gateway that forgot the key (restart) still sends the hub another key
        again = FleetTasks(CONFIG, tasks.view, tasks.link, "gw2", tasks.registry)
        try:
            again.create({"script_name": "account_warmup", "serials": ["S1B"]})
            assert hubs[1].requests[-1]["key"] != first
        finally:
            again.close()
    finally:
        CLIENT_KEY.reset(token)


def test_timeout_advice_matches_what_the_client_can_do(fleet):
    from appliance.fleet.link import HubTimeout
    from appliance.services.fleet_tasks import CLIENT_KEY

    _, _, _, tasks = fleet

    def silent(*a: Any, **k: Any) -> Any:
        raise HubTimeout("hub-1 did not answer within 1s; it may have been applied, retry with "
                         "the same Idempotency-Key")

    tasks.link.request = silent
    with pytest.raises(ApplianceError) as caught:
        tasks.create({"script_name": "account_warmup", "serials": ["S1A"]})
    text = caught.value.message
    assert "check GET /task before retrying" in text and "same Idempotency-Key" not in text
    token = CLIENT_KEY.set("k")
    try:
        with pytest.raises(ApplianceError) as caught:
            tasks.create({"script_name": "account_warmup", "serials": ["S1A"]})
        assert "retry with the same Idempotency-Key" in caught.value.message
    finally:
        CLIENT_KEY.reset(token)
    for action in (tasks.stop, tasks.retry, tasks.delete):
        with pytest.raises(ApplianceError) as caught:
            action(fleet_id(4, 1))
        assert caught.value.code == 50301
        assert "may have been applied" in caught.value.message
        assert f"GET /task/{fleet_id(4, 1)}" in caught.value.message
        assert "Idempotency-Key" not in caught.value.message
