"""Tracking against the real adb server: online fast, unplugged and unauthorized shown so,
100 phones at once, subscribers told of changes, hot and quarantined phones not usable."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from appliance.errors import DeviceUnauthorized
from tests.fixtures import wait_until


def state(manager, serial):
    info = manager.tracker.get(serial)
    return info.state if info else None


def test_a_connected_phone_is_online_within_2s_and_unplugged_not_within_5s(sim_farm, make_manager):
    farm = sim_farm(2)
    manager = make_manager()
    events = []
    manager.tracker.subscribe(lambda serial, new: events.append((serial, new)))
    phone = farm.phones[0]
    manager.client.connect(phone.address)
    wait_until(lambda: state(manager, phone.address) == "device", 2)
    info = manager.tracker.get(phone.address)
    assert info.first_seen <= info.last_seen and info.transport == "tcp"
    assert (phone.address, "device") in events

    phone.set_fault("unplug")
    wait_until(lambda: state(manager, phone.address) in ("offline", "absent"), 5)
    assert not manager.tracker.usable(phone.address)
    assert events[-1][0] == phone.address and events[-1][1] in ("offline", "absent")

    phone.set_fault("unplug", on=False)   # plugged back: the hub reconnects a remembered address
    wait_until(lambda: state(manager, phone.address) == "device", 10)


def test_an_unauthorized_phone_is_shown_unauthorized(sim_farm, make_manager):
    farm = sim_farm(1)
    manager = make_manager()
    phone = farm.phones[0]
    phone.set_fault("unauthorized")
    try:
        manager.client.connect(phone.address)
    except DeviceUnauthorized:
        pass   # adb connect itself may already say so
    wait_until(lambda: state(manager, phone.address) == "unauthorized", 5)
    assert not manager.tracker.usable(phone.address)


def test_100_phones_tracked_at_once_with_correct_states(sim_farm, make_manager):
    farm = sim_farm(100)
    manager = make_manager()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(manager.client.connect, farm.addresses()))
    wait_until(lambda: len(manager.tracker.list("device")) == 100, 15)

    unplugged = farm.phones[:10]
    for phone in unplugged:
        phone.set_fault("unplug")
    gone = {p.address for p in unplugged}

    def settled():
        states = {i.serial: i.state for i in manager.tracker.list()}
        return all((states[a] != "device") == (a in gone) for a in farm.addresses())

    wait_until(settled, 10)
    assert len(manager.tracker.list()) == 100


def test_hot_and_quarantined_phones_are_not_usable(sim_farm, make_manager):
    farm = sim_farm(1)
    manager = make_manager(hot_temperature=45.0, cool_temperature=40.0)
    phone = farm.phones[0]
    manager.client.connect(phone.address)
    wait_until(lambda: manager.tracker.usable(phone.address), 5)
    health = manager.health.check(phone.address)
    assert health["model"] == phone.model and health["battery_level"] is not None
    assert health["screen_size"] == "1080x2400" and health["sdk"]

    phone.set_fault("hot", temperature=52.0)
    assert manager.health.check(phone.address)["temperature"] == pytest.approx(52.0, abs=1)
    assert manager.tracker.get(phone.address).hot and not manager.tracker.usable(phone.address)
    phone.set_fault("hot", on=False)
    manager.health.check(phone.address)
    assert manager.tracker.usable(phone.address)

    manager.tracker.quarantine(phone.address, "script abandoned")
    assert not manager.tracker.usable(phone.address)
    phone.set_fault("unplug")
    wait_until(lambda: state(manager, phone.address) != "device", 5)
    phone.set_fault("unplug", on=False)
    wait_until(lambda: manager.tracker.usable(phone.address), 10)   # came back: cleared


def test_health_thread_records_every_online_phone(sim_farm, make_manager):
    farm = sim_farm(3)
    manager = make_manager()
    for phone in farm.phones:
        manager.client.connect(phone.address)
    wait_until(lambda: all(manager.tracker.get(p.address) and manager.tracker.get(p.address).health
                           for p in farm.phones), 10)
    info = manager.tracker.get(farm.phones[0].address).to_dict()
    assert info["health"]["brand"] and info["usable"] is True and info["first_seen"].count(":") >= 2
