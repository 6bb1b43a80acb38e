"""The fleet's broker link against a real Mosquitto: credentials, request/response, and the Will
of a hub process that is SIGKILLed (issue 17)."""

from __future__ import annotations

import os
import time

import pytest

from appliance.devices.ports import free_port
from appliance.fleet import topics
from appliance.fleet.link import BrokerUnreachable, HubTimeout, Link, Will, raise_for_envelope
from tests.fixtures import wait_for
from tests.fleet.broker import Watcher
from tests.hubkit import HubProcess


def _link(broker, user: str, password: str | None = None, **kw) -> Link:
    return Link(kw.pop("client_id", user), user, broker.users[user] if password is None else password,
                broker.url, keepalive=kw.pop("keepalive", 5), **kw)


def test_link_connects_with_its_user_and_password(broker):
    link = _link(broker, "hub-1")
    link.start()
    try:
        assert link.wait_connected(10), link.last_error
        assert link.last_error == ""
        assert link.publish(topics.status(1), {"state": "online"}, retain=True, wait=5)
    finally:
        link.stop()
    assert not link.connected


def test_a_wrong_password_is_refused_with_a_message_that_says_what_to_do(broker):
    link = _link(broker, "hub-1", password="not-the-password")
    link.start()
    try:
        message = wait_for(lambda: link.last_error, timeout=10, message="the broker's refusal")
        assert "refused user 'hub-1'" in message and "fleet_password" in message, message
        assert not link.connected
        assert link.publish(topics.status(1), {"state": "online"}) is False
    finally:
        link.stop()


def test_an_unreachable_broker_neither_blocks_nor_queues(broker):
    link = Link("hub-1", "hub-1", "x", f"mqtt://127.0.0.1:{free_port()}", keepalive=5)
    started = time.monotonic()
    link.start()
    try:
        assert time.monotonic() - started < 1.0   # start() never waits for the broker
        wait_for(lambda: "unreachable" in link.last_error, timeout=10, message="unreachable")
        assert link.publish(topics.stats(1), {"ts": 1}) is False
        with pytest.raises(BrokerUnreachable) as caught:
            link.request(topics.request(1), {"op": "get"}, topics.response("gw", 1), 1)
        assert caught.value.code == 50301 and "broker unreachable" in caught.value.message
    finally:
        link.stop()


def test_request_is_answered_on_its_response_topic_and_times_out_clearly(broker):
    hub = _link(broker, "hub-1")
    hub.subscribe(topics.request(1),
                  lambda topic, payload, props: hub.respond(props, {"code": 0, "message": "success",
                                                                    "data": payload["args"]}))
    gateway = _link(broker, "gateway", client_id="gw-test")
    hub.start()
    gateway.start()
    try:
        assert hub.wait_connected(10) and gateway.wait_connected(10)
        answer = gateway.request(topics.request(1), {"op": "get", "args": {"id": 7}},
                                 topics.response("gw-test", 1), timeout=5)
        assert raise_for_envelope(answer) == {"id": 7}
        # hub 2 is not there: 50301 telling the client to retry with the same key
        with pytest.raises(HubTimeout) as caught:
            gateway.request(topics.request(2), {"op": "get"}, topics.response("gw-test", 2), timeout=1)
        assert caught.value.code == 50301
        assert "hub 2 did not answer within 1s" in caught.value.message
        assert "same Idempotency-Key" in caught.value.message
    finally:
        hub.stop()
        gateway.stop()


def test_a_clean_stop_sends_no_will(broker):
    watcher = Watcher(broker).start()
    # no will delay: a will would be published at once, before anything later on the broker
    link = _link(broker, "hub-1", will=Will(topics.status(1), {"state": "offline"}, 0))
    link.start()
    try:
        assert link.wait_connected(10)
        link.publish(topics.status(1), {"state": "online"}, retain=True, wait=5)
        watcher.wait(topics.status(1), lambda p: p == {"state": "online"})
        link.stop()
        marker = _link(broker, "hub-2")
        marker.start()
        assert marker.wait_connected(10)
        marker.publish(topics.status(2), {"state": "marker"}, wait=5)
        watcher.wait(topics.status(2))
        marker.stop()
        assert watcher.seen(topics.status(1)) == [{"state": "online"}]
    finally:
        watcher.stop()


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_the_will_marks_a_sigkilled_hub_offline_within_the_bound(broker, tmp_path):
    keepalive = 2
    watcher = Watcher(broker).start()
    env = {"APPLIANCE_FLEET_BROKER": broker.url, "APPLIANCE_FLEET_HUB": "1",
           "APPLIANCE_FLEET_PASSWORD": broker.users["hub-1"],
           "APPLIANCE_FLEET_KEEPALIVE": str(keepalive), "APPLIANCE_FLEET_HEARTBEAT": "1"}
    hub = HubProcess(tmp_path / "hub1", "--no-adb", env=env).start()
    try:
        online = watcher.wait(topics.status(1), lambda p: isinstance(p, dict) and p["state"] == "online",
                              timeout=30)
        killed = time.monotonic()
        hub.kill()
        offline = watcher.wait(topics.status(1),
                               lambda p: isinstance(p, dict) and p["state"] == "offline",
                               timeout=1.5 * keepalive + keepalive / 2 + 10)
        took = time.monotonic() - killed
        assert offline["boot_id"] == online["boot_id"] and offline["hub"] == 1
        # the socket closes with the process: the will comes after its delay (keepalive/2)
        assert took <= 1.5 * keepalive + keepalive / 2 + 2, took
    finally:
        hub.kill()
        watcher.stop()


@pytest.mark.phones   # starts its own Mosquitto with TLS
def test_tls_with_the_fleet_ca_file_connects_and_without_it_says_why_not(tmp_path):
    from tests.fleet.broker import Broker, mosquitto_path

    if mosquitto_path() is None:
        pytest.skip("mosquitto is not installed (apt-get install -y mosquitto mosquitto-clients)")
    with Broker(hubs=1, tls=True, directory=tmp_path / "tls") as broker:
        assert broker.url.startswith("mqtts://")
        good = _link(broker, "hub-1", ca_file=str(broker.ca_file))
        good.start()
        try:
            assert good.wait_subscribed(10) and good.connected, good.last_error
        finally:
            good.stop()
        untrusted = _link(broker, "hub-1")   # the system's CAs do not know the test CA
        untrusted.start()
        try:
            message = wait_for(lambda: untrusted.last_error, timeout=10, message="the TLS failure")
            assert "TLS handshake" in message and "fleet_ca_file" in message, message
            assert not untrusted.connected
        finally:
            untrusted.stop()


def test_a_request_that_was_not_sent_is_not_sent_later_on_reconnect(broker):
    """paho keeps a QoS-1 message it could not send and sends it after the next reconnect: a
    request the caller was told failed (and may retry: stop, retry) must not arrive later."""
    import socket

    hub_side = Watcher(broker, filter=topics.request(1)).start()
    gateway = _link(broker, "gateway", client_id="gw-test")
    gateway.start()
    try:
        assert gateway.wait_connected(10)
        gateway._client.reconnect_delay_set(3, 3)   # room to send while paho is disconnected
        connects = gateway.connects
        gateway._client.socket().shutdown(socket.SHUT_RDWR)
        wait_for(lambda: not gateway.connected, timeout=10, message="the link noticing the drop")
        gateway._connected.set()   # the race: `connected` was checked just before the drop
        with pytest.raises(BrokerUnreachable) as caught:
            gateway.request(topics.request(1), {"op": "retry", "args": {"id": 7}},
                            topics.response("gw-test", 1), timeout=1)
        assert "was not sent" in caught.value.message
        gateway._connected.clear()
        wait_for(lambda: gateway.connects > connects and gateway.connected, timeout=15,
                 message="the link reconnected")
        assert gateway.publish(topics.request(1), {"op": "marker"}, wait=5)
        hub_side.wait(topics.request(1), lambda p: p == {"op": "marker"}, message="the marker")
        assert hub_side.seen(topics.request(1)) == [{"op": "marker"}]
    finally:
        gateway.stop()
        hub_side.stop()
