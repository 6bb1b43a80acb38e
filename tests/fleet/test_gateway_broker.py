"""The broker config's `use_username_as_clientid true` (README "Many hubs", the fixture): one
hub's credentials cannot knock another hub off the broker by logging in with its client id.

No sleeps: after the intruder's CONNACK the broker has already settled the takeover (it would
have closed hub-1's connection first), and a request answered afterwards proves hub-1 is on."""

from __future__ import annotations

from appliance.fleet import topics
from appliance.fleet.link import Link


def test_another_hubs_credentials_with_hub_1s_client_id_cannot_disturb_hub_1(broker):
    connects: list[int] = []
    hub1 = Link("hub-1", "hub-1", broker.password("hub-1"), broker.url, keepalive=5,
                on_connect=lambda: connects.append(1))
    hub1.subscribe(topics.request(1), lambda _t, payload, props: hub1.respond(
        props, {"code": 0, "message": "success", "data": payload}))
    gateway = Link("gateway", "gateway", broker.password("gateway"), broker.url, keepalive=5)
    intruder = Link("hub-1", "hub-2", broker.password("hub-2"), broker.url, keepalive=5)
    try:
        hub1.start()
        gateway.start()
        assert hub1.wait_subscribed(10) and gateway.wait_connected(10), hub1.last_error
        intruder.start()
        assert intruder.wait_connected(10), intruder.last_error
        answer = gateway.request(topics.request(1), {"op": "ping"}, topics.response("gw", 1), 5)
        assert answer == {"code": 0, "message": "success", "data": {"op": "ping"}}
        assert hub1.connected and connects == [1], "hub-1's session was taken over"
        assert intruder.connected   # logged in, as itself (client id hub-2)
    finally:
        intruder.stop()
        gateway.stop()
        hub1.stop()
    assert "hub-2" in broker.log()
