"""The broker's ACL (the README's, as the fixture writes it): a hub's credentials reach only its
own topics; it cannot speak as another hub, answer for it, or read its commands (issue 17).

No sleeps: a publisher's messages reach a subscriber in order, so once a later allowed marker
has arrived, a forbidden message sent before it would have arrived too."""

from __future__ import annotations

from appliance.fleet import topics
from appliance.fleet.link import Link
from tests.fleet.broker import Watcher


def _link(broker, user: str) -> Link:
    link = Link(f"{user}-acl", user, broker.users[user], broker.url, keepalive=5)
    link.start()
    assert link.wait_connected(10), link.last_error
    return link


def test_a_hub_cannot_publish_as_another_hub_or_answer_for_it(broker):
    watcher = Watcher(broker).start()
    hub1 = _link(broker, "hub-1")
    try:
        forged = [topics.status(2), topics.info(2), topics.devices(2), topics.accounts(2),
                  topics.stats(2), topics.events(2), topics.request(2), topics.quota(2),
                  topics.quota(1), topics.request(1), topics.response("x", 2),
                  topics.response("gw-test", 2)]
        for topic in forged:
            hub1.publish(topic, {"state": "online", "forged": True}, retain=True, wait=5)
        own = [topics.status(1), topics.info(1), topics.devices(1), topics.accounts(1),
               topics.stats(1), topics.events(1), topics.response("x", 1)]
        for topic in own:
            hub1.publish(topic, {"own": True}, wait=5)
        for topic in own:
            watcher.wait(topic, message=f"hub-1's own {topic}")
        got = {t for t, _ in watcher.messages}
        assert got.isdisjoint(forged), sorted(got & set(forged))
        # and a later subscriber finds no forged retained message either
        late = Watcher(broker, client_id="gw-late").start()
        try:
            hub1.publish(topics.status(1), {"marker": True}, retain=True, wait=5)
            late.wait(topics.status(1), lambda p: p == {"marker": True})
            assert {t for t, _ in late.messages}.isdisjoint(forged)
        finally:
            late.stop()
    finally:
        hub1.stop()
        watcher.stop()


def test_a_hub_cannot_read_another_hubs_requests_or_quota(broker):
    gateway = _link(broker, "gateway")
    spy = Watcher(broker, user="hub-1", client_id="hub-1-spy", filter="appliance/v1/#").start()
    try:
        gateway.publish(topics.request(2), {"op": "list"}, wait=5)
        gateway.publish(topics.quota(2), {"limit": 5, "epoch": 1}, retain=True, wait=5)
        gateway.publish(topics.response("gw", 2), {"code": 0}, wait=5)
        gateway.publish(topics.request(1), {"op": "marker"}, wait=5)
        spy.wait(topics.request(1), message="hub-1's own request")
        assert {t for t, _ in spy.messages} == {topics.request(1)}
    finally:
        spy.stop()
        gateway.stop()
