"""`appliance doctor`'s broker check against a real Mosquitto: accepted credentials pass, a wrong
password and a dead port fail with what to do."""

from __future__ import annotations

from appliance.cli.doctor import check_broker
from appliance.config import load_config
from appliance.devices.ports import free_port


def config(tmp_path, **fleet):
    return load_config(env={}, overrides={"state_dir": str(tmp_path / "state"), **fleet})


def test_broker_check(broker, tmp_path):
    assert check_broker(config(tmp_path)) == []          # not in a fleet: nothing to check
    good = check_broker(config(tmp_path, fleet_broker=broker.url, fleet_hub=2,
                               fleet_password=broker.password("hub-2")))
    assert [f.ok for f in good] == [True], good
    gateway = check_broker(config(tmp_path, fleet_broker=broker.url,
                                  fleet_password=broker.password("gateway")))
    assert gateway[0].ok, gateway
    wrong = check_broker(config(tmp_path, fleet_broker=broker.url, fleet_hub=2,
                                fleet_password="not-it"))[0]
    assert not wrong.ok and "hub-2" in wrong.detail and "fleet_password" in wrong.detail
    dead = check_broker(config(tmp_path, fleet_broker=f"mqtt://127.0.0.1:{free_port()}",
                               fleet_hub=1, fleet_password="x"))[0]
    assert not dead.ok and "mosquitto" in dead.detail, dead


def test_broker_check_does_not_take_over_the_running_hubs_or_gateways_session(broker, tmp_path,
                                                                              monkeypatch):
    """The broker gives each user one client id: a doctor probe logging in as `gateway` (or
    `hub-N`) would knock the running gateway (hub) off. While one runs, doctor asks it."""
    from appliance.cli import doctor
    from appliance.fleet import topics
    from appliance.fleet.link import Link

    connects: dict[str, list[int]] = {"gateway": [], "hub-2": []}
    running = {user: Link(user, user, broker.password(user), broker.url, keepalive=5,
                          on_connect=lambda user=user: connects[user].append(1))
               for user in connects}
    hub = running["hub-2"]
    hub.subscribe(topics.request(2), lambda _t, payload, props: hub.respond(
        props, {"code": 0, "message": "success", "data": payload}))
    try:
        for link in running.values():
            link.start()
        assert hub.wait_subscribed(10) and running["gateway"].wait_connected(10)
        answers = {"role": "gateway"}
        monkeypatch.setattr(doctor.HubClient, "health", lambda self, timeout=3.0: {
            "status": "ok", **answers, "broker": True})
        monkeypatch.setattr(doctor.HubClient, "call", lambda self, method, path, *a, **k: {
            "fleet": {"broker_connected": True}})
        found = check_broker(config(tmp_path, fleet_broker=broker.url,
                                    fleet_password=broker.password("gateway")))
        assert [f.ok for f in found] == [True] and "running gateway" in found[0].detail, found
        answers.clear()     # now a hub answers on this box's port
        found = check_broker(config(tmp_path, fleet_broker=broker.url, fleet_hub=2,
                                    fleet_password=broker.password("hub-2")))
        assert [f.ok for f in found] == [True] and "running hub 2" in found[0].detail, found
        # neither was knocked off: the gateway's request reaches hub 2, none reconnected
        answer = running["gateway"].request(topics.request(2), {"n": 2},
                                            topics.response("doc", 2), 5)
        assert answer["data"] == {"n": 2}
        assert connects == {"gateway": [1], "hub-2": [1]}
    finally:
        for link in running.values():
            link.stop()
