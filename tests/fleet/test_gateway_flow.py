"""The gateway end to end (issue 17): three `appliance serve` hubs with simulated phones, a real
Mosquitto and `appliance gateway`; a TikMatrix client's flow against the gateway only, with each
task id decoding to the hub that holds it; then a hub SIGKILLed: 50301 with nothing written,
lists partial with `missing_hubs`, stats naming it stale."""

from __future__ import annotations

import signal
from typing import Any

import pytest

from tests.fixtures import wait_for
from tests.fleet.fleetkit import FleetKit

pytestmark = pytest.mark.phones

# Long enough to stay running while the flow looks at it; the kit stops it at the end.
WARMUP = {"script_name": "account_warmup",
          "script_config": {"task_duration": 600, "min_duration": 2, "max_duration": 5}}


def hub_of(task_id: int) -> int:
    return task_id % 64


@pytest.fixture
def fleet(broker, tmp_path):
    # A stop waits for the running script to end (up to stop_grace): room for a busy machine.
    kit = FleetKit(broker, tmp_path, hubs=3, phones=2, request_timeout=15.0)
    with kit:
        yield kit


def ok(answer: dict[str, Any]) -> Any:
    assert answer["code"] == 0, answer
    return answer["data"]


def test_a_tikmatrix_client_flow_through_the_gateway(fleet: FleetKit):
    s = fleet.serials
    gw = fleet.gw
    # Create on serials across the three hubs: one id per serial, each on its serial's hub.
    targets = [s[2][0], s[1][0], s[3][0], s[1][1]]
    created = ok(gw("POST", "/task", {**WARMUP, "serials": targets}))
    ids = created["task_ids"]
    assert created["created_count"] == 4
    assert [hub_of(i) for i in ids] == [2, 1, 3, 1]
    for task_id, serial in zip(ids, targets, strict=True):
        task = ok(gw("GET", f"/task/{task_id}"))
        assert task["id"] == task_id and task["serial"] == serial and task["hub"] == hub_of(task_id)
        # the hub's own API holds it under its local id
        _, own = fleet.hub(hub_of(task_id)).api("GET", f"/task/{task_id // 64}")
        assert own["data"]["serial"] == serial

    # Usernames mode: routed by the hubs' accounts.
    _, made = fleet.hub(3).api("POST", "/account", {"username": "fleet_user3", "device": s[3][1]})
    assert made["code"] == 0, made
    wait_for(lambda: any(a["username"] == "fleet_user3"
                         for a in ok(gw("GET", "/account"))["accounts"]), 20,
             message="the account at the gateway")
    by_name = ok(gw("POST", "/task", {**WARMUP, "usernames": ["@fleet_user3"]}))
    assert [hub_of(i) for i in by_name["task_ids"]] == [3]
    ids += by_name["task_ids"]

    # List: every task, newest first, each once; paging walks the same order.
    listing = ok(gw("GET", "/task?page_size=100"))
    assert listing["total"] == 5 and not listing["partial"] and listing["missing_hubs"] == []
    assert sorted(t["id"] for t in listing["tasks"]) == sorted(ids)
    paged = [t["id"] for p in (1, 2, 3) for t in ok(gw("GET", f"/task?page={p}&page_size=2"))["tasks"]]
    assert paged == [t["id"] for t in listing["tasks"]]
    assert ok(gw("GET", f"/task?serial={s[1][0]}"))["total"] == 1

    # Stop, then retry, by fleet id.
    first = ids[0]
    stopped = ok(gw("POST", f"/task/{first}/stop"))
    assert stopped["id"] == first and stopped["status"] == 3
    retried = ok(gw("POST", f"/task/{first}/retry"))
    assert retried["id"] == first and retried["status"] in (0, 1) and retried["retry_count"] == 1
    # Retry-all over the fleet: stop two on different hubs first.
    for task_id in ids[1:3]:
        ok(gw("POST", f"/task/{task_id}/stop"))
    again = ok(gw("POST", "/task/retry-all"))
    assert set(ids[1:3]) <= set(again["task_ids"]) and again["missing_hubs"] == []

    stats = wait_for(lambda: (lambda d: d if d["total"] == 5 else None)(
        ok(gw("GET", "/task/stats"))), 15, message="stats summing all hubs")
    assert stats["stale_hubs"] == [] and stats["missing_hubs"] == []

    # Delete one, then a batch across hubs (with an unknown id).
    assert ok(gw("DELETE", f"/task/{ids[4]}"))["deleted_ids"] == [ids[4]]
    unknown = 999 * 64 + 2
    batch = ok(gw("DELETE", "/task/batch", {"task_ids": [ids[0], ids[2], unknown]}))
    assert sorted(batch["deleted_ids"]) == sorted([ids[0], ids[2]])
    assert batch["not_found"] == [unknown]
    assert gw("GET", f"/task/{ids[0]}")["code"] == 40401
    assert ok(gw("GET", "/task"))["total"] == 2

    # An unknown serial is refused before anything is written.
    refused = gw("POST", "/task", {**WARMUP, "serials": [s[1][0], "no-such-phone"]})
    assert refused["code"] == 40001 and "no-such-phone" in refused["message"]
    assert ok(gw("GET", "/task"))["total"] == 2

    # Devices merged with their hub; a phone action names the hub's own API.
    devices = ok(gw("GET", "/device"))["devices"]
    assert {(d["serial"], d["hub"]) for d in devices} >= {(x, n) for n in s for x in s[n]}
    reboot = gw("POST", f"/device/{s[2][0]}/reboot")
    assert reboot["code"] == 40401 and fleet.hub(2).url in reboot["message"]
    # The fleet's quotas: the plan's limit split across the three hubs, never above it.
    def split_over_three() -> Any:
        data = ok(gw("GET", "/license/check"))
        return data if {q["hub"] for q in data["fleet_quotas"]["hubs"]} == {1, 2, 3} else None
    license = wait_for(split_over_three, timeout=20, message="a quota for each of the three hubs")
    quotas = license["fleet_quotas"]["hubs"]
    assert sum(q["limit"] for q in quotas) <= license["device_limit"]


def test_a_killed_hub_is_reported_and_gets_nothing(fleet: FleetKit):
    s = fleet.serials
    gw = fleet.gw
    before = ok(gw("POST", "/task", {**WARMUP, "serials": [s[1][0], s[2][0], s[3][0]]}))
    on_two = [i for i in before["task_ids"] if hub_of(i) == 2]
    fleet.kill_hub(2)
    fleet.wait_hub_down(2, timeout=30)

    # A create touching hub 2: 50301 naming it, and nothing written anywhere.
    refused = gw("POST", "/task", {**WARMUP, "serials": [s[1][1], s[2][1]]})
    assert refused["code"] == 50301 and "2" in refused["message"], refused
    listing = ok(gw("GET", "/task?page_size=100"))
    assert listing["partial"] and listing["missing_hubs"] == [2]
    assert listing["total"] == 2 and {hub_of(t["id"]) for t in listing["tasks"]} == {1, 3}
    _, own = fleet.hub(1).api("GET", "/task")
    assert own["data"]["total"] == 1      # hub 1 got nothing from the refused create
    # Other hubs still take work; hub 2's task answers 50301, not "not found".
    assert ok(gw("POST", "/task", {**WARMUP, "serials": [s[1][1]]}))["created_count"] == 1
    assert gw("GET", f"/task/{on_two[0]}")["code"] == 50301
    stats = ok(gw("GET", "/task/stats"))
    assert [h["hub"] for h in stats["stale_hubs"]] == [2]

    # Back with the same store: its task has the same fleet id again.
    fleet.start_hub(2)
    fleet.wait_fleet_up([2], timeout=60)
    assert ok(gw("GET", f"/task/{on_two[0]}"))["id"] == on_two[0]
    assert not ok(gw("GET", "/task"))["partial"]


def test_gateway_stops_cleanly_on_sigterm(fleet: FleetKit):
    assert fleet.gateway is not None
    fleet.gateway.signal(signal.SIGTERM)
    assert fleet.gateway.proc is not None and fleet.gateway.proc.wait(30) == 0
    assert not any("Traceback" in line for line in fleet.gateway.lines)


def test_hub_events_reach_the_gateways_stream_with_fleet_ids(fleet: FleetKit):
    import json
    import urllib.request

    assert fleet.gateway is not None
    stream = urllib.request.urlopen(fleet.gateway.url + "/api/v1/events?types=task_status",
                                    timeout=20)
    try:
        assert stream.readline().startswith(b"retry:")
        made = ok(fleet.gw("POST", "/task", {**WARMUP, "serials": [fleet.serials[3][0]]}))
        task_id = made["task_ids"][0]
        seen: list[dict[str, Any]] = []
        while not any(e.get("task_id") == task_id for e in seen):
            line = stream.readline()     # bounded by the urlopen timeout
            assert line, "the stream ended"
            if line.startswith(b"data: "):
                seen.append(json.loads(line[6:]))
        event = next(e for e in seen if e["task_id"] == task_id)
        assert event["hub"] == 3 and event["action"] == "task_status"
        # The hub runs it: the gateway's quota let it start.
        wait_for(lambda: ok(fleet.gw("GET", f"/task/{task_id}"))["status"] == 1, 30,
                 message="the task running on hub 3")
    finally:
        stream.close()


def test_a_restarted_gateway_serves_the_same_ids_and_keeps_the_quotas(fleet: FleetKit):
    made = ok(fleet.gw("POST", "/task", {**WARMUP, "serials": [fleet.serials[1][0],
                                                               fleet.serials[2][0]]}))
    table = ok(fleet.gw("GET", "/fleet"))["quotas"]
    assert fleet.gateway is not None
    fleet.gateway.kill()                       # SIGKILL: nothing saved at exit
    fleet.start_gateway()
    fleet.wait_fleet_up()
    for task_id in made["task_ids"]:
        assert ok(fleet.gw("GET", f"/task/{task_id}"))["id"] == task_id
    again = ok(fleet.gw("GET", "/fleet"))["quotas"]
    assert again["epoch"] >= table["epoch"]
    assert {(q["hub"], q["limit"]) for q in again["hubs"]} == {
        (q["hub"], q["limit"]) for q in table["hubs"]}


def test_doctor_reads_the_running_hubs_and_gateways_link_instead_of_logging_in(fleet: FleetKit):
    """The broker gives each user one session (`use_username_as_clientid`): `appliance doctor`
    on a box whose hub (gateway) runs asks it through its API, and knocks nobody off."""
    from appliance.cli.doctor import check_broker
    from appliance.config import load_config

    assert fleet.gateway is not None
    gateway_port = int(fleet.gateway.url.rsplit(":", 1)[1])
    boxes = {"the running hub 2": load_config(fleet.hub_config(2), env={}, overrides={
                 "host": "127.0.0.1", "port": fleet.api_ports[2]}),
             "the running gateway": load_config(fleet.root / "gateway" / "appliance.toml",
                                                env={}, overrides={"host": "127.0.0.1",
                                                                   "port": gateway_port})}
    for who, config in boxes.items():
        found = check_broker(config)
        assert [f.ok for f in found] == [True] and found[0].detail.startswith(who), found
    state = fleet.fleet_state()
    assert all(state[n]["up"] for n in (1, 2, 3))
    # nobody was taken over: the gateway still reaches hub 2 (a list answered by every hub)
    answer = fleet.gw("GET", "/task")
    assert answer["code"] == 0 and not answer["data"]["partial"], answer
