"""The hub's side of a fleet against a real Mosquitto: retained state republished on every connect,
the gateway's requests answered with idempotency keys, the quota capping the device limit
(issue 17)."""

from __future__ import annotations

import time

import pytest

from appliance.errors import ConfigError
from appliance.fleet import topics
from appliance.fleet.link import HubTimeout, raise_for_envelope
from appliance.services import build_services
from tests.fixtures import ADB_PATH, free_port, long_warmup, wait_for
from tests.fleet.broker import Watcher
from tests.hubkit import hub_config, running_hub

BODY = {"serials": ["A1", "B2"], "script_name": "account_warmup"}
STATE = ("status", "info", "devices", "accounts", "stats")


def _fleet_config(tmp_path, broker, n: int = 1, **settings):
    return hub_config(tmp_path, fleet_broker=broker.url, fleet_hub=n,
                      fleet_password=broker.users[f"hub-{n}"], fleet_keepalive=4,
                      fleet_heartbeat=1, **settings)


def _online(payload) -> bool:
    return isinstance(payload, dict) and payload.get("state") == "online"


def _ask(watcher: Watcher, n: int, op: str, args=None, key=None):
    answer = watcher.link.request(topics.request(n), {"op": op, "args": args or {}, "key": key},
                                  topics.response("gw-test", n), timeout=10)
    return raise_for_envelope(answer)


@pytest.fixture
def gateway_side(broker):
    watcher = Watcher(broker, client_id="gw-test").start()
    yield watcher
    watcher.stop()


def test_a_hub_publishes_its_state_and_goes_offline_at_a_clean_stop(broker, gateway_side, tmp_path):
    with running_hub(_fleet_config(tmp_path, broker)) as hub:
        status = gateway_side.wait(topics.status(1), _online)
        assert status["hub"] == 1 and status["boot_id"]
        for kind in STATE[1:]:
            gateway_side.wait(topics.hub_topic(1, kind), message=kind)
        info = gateway_side.last[topics.info(1)]
        assert info["plan"] == hub.services.license.plan().name
        stats = gateway_side.last[topics.stats(1)]
        assert {"total", "pending", "running", "completed", "failed", "running_phones",
                "quota_limit", "quota_epoch", "ts"} <= set(stats)
        # the heartbeat keeps coming
        first = stats["ts"]
        gateway_side.wait(topics.stats(1), lambda p: p["ts"] > first, timeout=10, message="heartbeat")
    offline = gateway_side.wait(topics.status(1), lambda p: p.get("state") == "offline")
    assert offline["boot_id"] == status["boot_id"]


@pytest.mark.parametrize(("broker_persistence", "kill"),
                         [(False, True), (False, False), (True, True), (True, False)],
                         ids=["no-persistence-SIGKILL", "no-persistence-SIGTERM",
                              "persistence-SIGKILL", "persistence-SIGTERM"])
def test_every_state_topic_is_back_after_a_broker_restart(broker, gateway_side, tmp_path, kill):
    with running_hub(_fleet_config(tmp_path, broker)) as hub:
        boot = gateway_side.wait(topics.status(1), _online)["boot_id"]
        first = _ask(gateway_side, 1, "create", BODY, key="across")
        reconnects = hub.services.fleet.link.connects
        broker.restart(kill=kill)
        # a new subscriber sees what the hub republished after reconnecting (or kept retained)
        late = Watcher(broker, client_id="gw-late").start()
        try:
            wait_for(lambda: hub.services.fleet.link.connects > reconnects, timeout=20,
                     message="the hub reconnected")
            status = late.wait(topics.status(1), _online, timeout=20, message="status after restart")
            assert status["boot_id"] == boot
            for kind in STATE[1:]:
                late.wait(topics.hub_topic(1, kind), timeout=20, message=kind)
            assert gateway_side.link.wait_subscribed(20)
            # the retry of a create across the restart creates nothing twice
            assert _ask(gateway_side, 1, "create", BODY, key="across") == first
            assert hub.call("GET", "/task/stats")[1]["data"]["total"] == 2
        finally:
            late.stop()


def test_create_with_the_same_key_twice_answers_the_same_ids_and_creates_once(broker, gateway_side,
                                                                               tmp_path):
    with running_hub(_fleet_config(tmp_path, broker)) as hub:
        boot = gateway_side.wait(topics.status(1), _online)["boot_id"]
        first = _ask(gateway_side, 1, "create", BODY, key="key-1")
        again = _ask(gateway_side, 1, "create", BODY, key="key-1")
        assert first["task_ids"] == again["task_ids"] and first["created_count"] == 2
        other = _ask(gateway_side, 1, "create", BODY, key="key-2")
        assert set(other["task_ids"]).isdisjoint(first["task_ids"])
        answer = hub.call("GET", "/task/stats")[1]
        assert answer["data"]["total"] == 4
    # the key survives a restart (it is in the store with the tasks)
    with running_hub(_fleet_config(tmp_path, broker)) as hub:
        gateway_side.wait(topics.status(1), lambda p: _online(p) and p["boot_id"] != boot)
        assert _ask(gateway_side, 1, "create", BODY, key="key-1")["task_ids"] == first["task_ids"]
        assert hub.call("GET", "/task/stats")[1]["data"]["total"] == 4


def test_the_other_task_ops_answer_like_the_hub_api(broker, gateway_side, tmp_path):
    with running_hub(_fleet_config(tmp_path, broker)) as hub:
        gateway_side.wait(topics.status(1), _online)
        ids = _ask(gateway_side, 1, "create", BODY, key="k")["task_ids"]
        listed = _ask(gateway_side, 1, "list", {"filters": {}, "offset": 0, "limit": 10})
        assert listed["total"] == 2 and [t["id"] for t in listed["tasks"]] == sorted(ids, reverse=True)
        assert _ask(gateway_side, 1, "list", {"filters": {"serial": "A1"}, "offset": 0,
                                               "limit": 10})["total"] == 1
        assert _ask(gateway_side, 1, "get", {"id": ids[0]})["id"] == ids[0]
        assert _ask(gateway_side, 1, "stop", {"id": ids[0]})["status"] == 3
        assert _ask(gateway_side, 1, "retry", {"id": ids[0]})["status"] == 0
        _ask(gateway_side, 1, "stop", {"id": ids[1]})
        assert _ask(gateway_side, 1, "retry_all")["task_ids"] == [ids[1]]
        assert _ask(gateway_side, 1, "delete", {"id": ids[0]})["deleted_ids"] == [ids[0]]
        assert _ask(gateway_side, 1, "delete_many", {"ids": [ids[1], 999]}) == {
            "deleted_ids": [ids[1]], "not_found": [999]}
        answer = gateway_side.link.request(topics.request(1), {"op": "get", "args": {"id": 999}},
                                           topics.response("gw-test", 1), timeout=10)
        assert answer["code"] == 40401 and "999" in answer["message"]
        answer = gateway_side.link.request(topics.request(1), {"op": "create", "args": {},
                                                               "key": "bad"},
                                           topics.response("gw-test", 1), timeout=10)
        assert answer["code"] == 40002
        assert hub.call("GET", "/task/stats")[1]["data"]["total"] == 0


def test_the_gateway_quota_caps_the_device_limit_and_is_kept(broker, gateway_side, tmp_path):
    with running_hub(_fleet_config(tmp_path, broker)) as hub:
        gateway_side.wait(topics.status(1), _online)
        data = hub.call("GET", "/license/check")[1]["data"]
        assert data["device_limit"] == 0 and "waiting for the gateway's quota" in data["message"]
        assert hub.services.license.device_limit() == 0
        gateway_side.link.publish(topics.quota(1), {"limit": 3, "epoch": 5}, retain=True, wait=5)
        stats = gateway_side.wait(topics.stats(1), lambda p: p["quota_epoch"] == 5,
                                  message="the quota acknowledged in stats")
        assert stats["quota_limit"] == 3
        data = hub.call("GET", "/license/check")[1]["data"]
        assert data["device_limit"] == 3 and data["fleet"]["quota_epoch"] == 5
        assert data["plan_device_limit"] == hub.services.license.plan().device_limit
    # clear the retained quota: the hub must remember the last one itself
    gateway_side.link.publish(topics.quota(1), None, retain=True, wait=5)
    with running_hub(_fleet_config(tmp_path, broker)) as hub:
        assert hub.services.license.device_limit() == 3


def test_fleet_broker_without_a_hub_number_is_a_config_error(broker, tmp_path):
    config = hub_config(tmp_path, fleet_broker=broker.url, fleet_password="x")
    with pytest.raises(ConfigError) as caught:
        build_services(config)
    assert "fleet_hub" in caught.value.message and "1 to 63" in caught.value.message


def test_the_quota_caps_the_phones_that_run_and_devices_are_published(broker, gateway_side, tmp_path,
                                                                      sim_farm):
    farm = sim_farm(3, seed=17)
    serials = [phone.address for phone in farm.phones]
    config = _fleet_config(tmp_path, broker, adb_enabled=True, adb_port=free_port(),
                           adb_path=ADB_PATH, plan="Business", health_interval=60)
    with running_hub(config) as hub:
        engine = hub.services.engine
        for serial in serials:
            engine.client.connect(serial, timeout=10)
        gateway_side.wait(topics.devices(1), lambda p: sorted(d["serial"] for d in p["devices"]
                                                              if d["usable"]) == sorted(serials),
                          timeout=60, message="the three phones usable in `devices`")
        body = {"serials": serials, "script_name": "account_warmup", "script_config": long_warmup(),
                "min_interval": 0, "max_interval": 0}
        assert hub.call("POST", "/task", body)[1]["code"] == 0

        def beats(after: float, count: int, check) -> None:
            """`count` heartbeats later than `after`, each passing `check`."""
            def enough() -> bool:
                later = [p for p in gateway_side.seen(topics.stats(1)) if p["ts"] > after]
                for p in later:
                    assert check(p), p
                return len(later) >= count
            wait_for(enough, timeout=30, message=f"{count} heartbeats")

        # no quota yet: nothing runs
        created = gateway_side.wait(topics.stats(1), lambda p: p["pending"] == 3)["ts"]
        beats(created, 2, lambda p: p["running_phones"] == 0 and p["running"] == 0)
        gateway_side.link.publish(topics.quota(1), {"limit": 1, "epoch": 1}, retain=True, wait=5)
        one = gateway_side.wait(topics.stats(1), lambda p: p["running_phones"] == 1, timeout=30)
        beats(one["ts"], 3, lambda p: p["running_phones"] <= 1)
        running = gateway_side.wait(topics.devices(1), lambda p: any(d["running_task"]
                                                                     for d in p["devices"]))
        assert sum(1 for d in running["devices"] if d["running_task"]) == 1
        gateway_side.link.publish(topics.quota(1), {"limit": 3, "epoch": 2}, retain=True, wait=5)
        gateway_side.wait(topics.stats(1), lambda p: p["running_phones"] == 3 and p["quota_epoch"] == 2,
                          timeout=30, message="three phones running after the quota grew")


def test_a_hub_whose_broker_is_gone_serves_its_own_api_and_stops_promptly(broker, tmp_path):
    config = _fleet_config(tmp_path, broker)
    broker.kill()
    started = time.monotonic()
    with running_hub(config) as hub:
        assert time.monotonic() - started < 30
        wait_for(lambda: "unreachable" in hub.services.fleet.link.last_error, timeout=15,
                 message="the link noticing the broker is down")
        assert hub.call("POST", "/task", BODY)[1]["code"] == 0
        data = hub.call("GET", "/license/check")[1]["data"]
        assert data["fleet"]["broker_connected"] is False
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 10


def test_an_idempotency_key_is_written_with_its_tasks_or_not_at_all(tmp_path):
    from datetime import UTC, datetime

    from appliance.domain.tasks import new_task
    from appliance.storage import Store
    from appliance.storage.idempotency import IdempotencyRepo

    def docs() -> list[dict]:
        return [new_task(serial=s, script_name="account_warmup", script_config={}, source="api",
                         min_interval=1, max_interval=5, start_time=None, now=datetime.now(UTC))
                for s in ("A1", "B2")]

    with Store.open(tmp_path / "state") as store:
        keys = IdempotencyRepo(store, ttl=100)

        def create_then_fail() -> dict:
            store.tasks.create_many(docs())
            raise ConfigError("failed after the tasks were written")

        with pytest.raises(ConfigError):
            keys.run_once("k", 1000.0, create_then_fail)
        assert store.tasks.stats()["total"] == 0 and store.meta.get("idem:k") is None

        def create() -> dict:
            return {"task_ids": [d["id"] for d in store.tasks.create_many(docs())]}

        first, replayed = keys.run_once("k", 1000.0, create)
        assert not replayed and len(first["task_ids"]) == 2
        assert keys.run_once("k", 1050.0, create) == (first, True)
        assert keys.prune(1099.0) == 0 and keys.prune(1100.0) == 1
    # both survive a reopen, from the same journal record
    with Store.open(tmp_path / "state") as store:
        assert store.tasks.stats()["total"] == 2


def _send(watcher: Watcher, n: int, op: str, args=None, key=None, timeout: float = 10):
    """The raw envelope of one request (no raise)."""
    return watcher.link.request(topics.request(n), {"op": op, "args": args or {}, "key": key},
                                topics.response("gw-test", n), timeout=timeout)


def test_quotas_apply_in_order_and_an_older_epoch_is_ignored(broker, gateway_side, tmp_path):
    with running_hub(_fleet_config(tmp_path, broker)) as hub:
        fleet = hub.services.fleet
        gateway_side.wait(topics.status(1), _online)
        gateway_side.link.publish(topics.quota(1), {"limit": 5, "epoch": 7}, retain=True, wait=5)
        wait_for(lambda: fleet.quota_info()["quota_epoch"] == 7, timeout=10, message="epoch 7")
        # the gateway's republish of an older quota (or a reordered one): ignored, and said so
        ignored = fleet.ignored_quotas
        gateway_side.link.publish(topics.quota(1), {"limit": 9, "epoch": 6}, retain=True, wait=5)
        gateway_side.link.publish(topics.quota(1), {"limit": 9, "epoch": 7}, retain=True, wait=5)
        wait_for(lambda: fleet.ignored_quotas == ignored + 2, timeout=10, message="two ignored")
        assert fleet.quota_info()["quota_limit"] == 5 and hub.services.license.device_limit() == 5
        # a burst, as a republish on connect and a rebalance make: applied in the order sent
        applied: list[int] = []
        real = fleet._apply_quota

        def noting(payload):
            real(payload)
            applied.append(fleet.quota_info()["quota_epoch"])
        fleet._apply_quota = noting
        for epoch in range(8, 40):
            gateway_side.link.publish(topics.quota(1), {"limit": epoch % 4, "epoch": epoch},
                                      retain=True)
        wait_for(lambda: len(applied) == 32, timeout=20, message="32 quotas applied")
        assert applied == list(range(8, 40))
        assert fleet.quota_info()["quota_limit"] == 39 % 4
    # a hub without a stored quota takes any epoch (a gateway that starts over at 1)
    with running_hub(_fleet_config(tmp_path / "fresh", broker, n=2)) as hub:
        gateway_side.link.publish(topics.quota(2), {"limit": 2, "epoch": 1}, retain=True, wait=5)
        wait_for(lambda: hub.services.license.device_limit() == 2, timeout=10, message="quota 2")


def test_create_answers_what_the_hubs_own_post_task_answers(broker, gateway_side, tmp_path):
    with running_hub(_fleet_config(tmp_path, broker)) as hub:
        gateway_side.wait(topics.status(1), _online)
        body = {**BODY, "script_config": {"not_an_option": 1}}
        own = hub.call("POST", "/task", body)[1]["data"]
        fleet = _ask(gateway_side, 1, "create", body, key="ignored")
        assert fleet["ignored_fields"] == ["not_an_option"] == own["ignored_fields"]
        assert set(fleet) == set(own)
        # the replay of the key answers the same, ignored fields included
        assert _ask(gateway_side, 1, "create", body, key="ignored") == fleet


def test_list_caps_limit_with_a_clear_error(broker, gateway_side, tmp_path):
    with running_hub(_fleet_config(tmp_path, broker)):
        gateway_side.wait(topics.status(1), _online)
        assert _ask(gateway_side, 1, "list", {"offset": 0, "limit": 10000})["total"] == 0
        answer = _send(gateway_side, 1, "list", {"offset": 0, "limit": 10001})
        assert answer["code"] == 40001
        assert "limit" in answer["message"] and "10000" in answer["message"]


def test_requests_the_gateway_gave_up_on_are_dropped_and_the_queue_is_bounded(broker, gateway_side,
                                                                               tmp_path):
    import threading

    from appliance.services import fleet as fleet_module

    with running_hub(_fleet_config(tmp_path, broker)) as hub:
        fleet = hub.services.fleet
        gateway_side.wait(topics.status(1), _online)
        release = threading.Event()
        real = fleet.handle

        blocked: list[int] = []

        def handle(request):
            if request.get("op") == "block":
                blocked.append(1)
                release.wait(30)
                return "released"
            return real(request)
        fleet.handle = handle
        fleet.max_waiting = 2
        answers: list[object] = []

        def block() -> None:
            answers.append(_send(gateway_side, 1, "block", timeout=30))
        blockers = [threading.Thread(target=block) for _ in range(fleet_module.WORKERS)]
        for t in blockers:
            t.start()
        wait_for(lambda: len(blocked) == fleet_module.WORKERS, timeout=10, message="every worker busy")
        try:
            # waits for a worker longer than the gateway waits for it: given up, so never run
            sent = time.monotonic()
            with pytest.raises(HubTimeout):
                _send(gateway_side, 1, "create", BODY, key="late", timeout=1)
            queued = threading.Thread(target=lambda: answers.append(
                _send(gateway_side, 1, "stats", timeout=30)))
            queued.start()
            wait_for(lambda: fleet._waiting == 2, timeout=10, message="two requests waiting")
            # beyond the bound: 50301 at once, not a place in an ever longer queue
            busy = _send(gateway_side, 1, "stats", timeout=5)
            assert busy["code"] == 50301 and "hub 1 busy" in busy["message"], busy
            assert fleet.refused_busy == 1
            # the create's expiry (1 s) is well past when a worker takes it
            wait_for(lambda: time.monotonic() > sent + 2.5, timeout=10, message="2.5 s")
        finally:
            release.set()
        for t in [*blockers, queued]:
            t.join(30)
        assert len(answers) == fleet_module.WORKERS + 1
        wait_for(lambda: fleet.expired == 1, timeout=10, message="the late create dropped")
        assert hub.call("GET", "/task/stats")[1]["data"]["total"] == 0
        # the gateway's retry with the same key creates them, once
        assert _ask(gateway_side, 1, "create", BODY, key="late")["created_count"] == 2


def test_a_create_that_rolls_back_sends_no_task_event(broker, gateway_side, tmp_path):
    from appliance.errors import StoreError

    with running_hub(_fleet_config(tmp_path, broker)) as hub:
        fleet = hub.services.fleet
        gateway_side.wait(topics.status(1), _online)
        real = fleet.tasks.create

        def create_then_fail(body, source="api"):
            real(body, source=source)
            raise StoreError("the disk filled up after the tasks were written")
        fleet.tasks.create = create_then_fail
        answer = _send(gateway_side, 1, "create", BODY, key="undone")
        assert answer["code"] != 0
        assert hub.call("GET", "/task/stats")[1]["data"]["total"] == 0
        del fleet.tasks.create
        ids = _ask(gateway_side, 1, "create", BODY, key="done")["task_ids"]
        wait_for(lambda: len(gateway_side.seen(topics.events(1))) >= 2, timeout=10,
                 message="the committed create's events")
        # the committed create's events come after any of the undone one: none were sent
        events = [e["data"] for e in gateway_side.seen(topics.events(1))]
        assert [(e["task_id"], e["previous"], e["status_name"]) for e in events] == [
            (ids[0], None, "pending"), (ids[1], None, "pending")], events
