"""The hub survives its adb server dying and phones rebooting, without a restart of the hub."""

import os
import signal

from tests.fixtures import MemoryStore, wait_until


def test_adb_server_killed_is_restarted_and_tcp_phones_come_back(sim_farm, make_manager):
    farm = sim_farm(3)
    store = MemoryStore()
    manager = make_manager(store=store)
    for phone in farm.phones:
        manager.client.connect(phone.address)
    assert sorted(store.meta.get("tcp_devices")) == sorted(farm.addresses())   # remembered
    wait_until(lambda: len(manager.tracker.list("device")) == 3, 5)
    seen = []
    manager.tracker.subscribe(lambda serial, state: seen.append(state))
    old_pid = manager.server.pid

    os.kill(old_pid, signal.SIGKILL)
    wait_until(lambda: manager.server.pid not in (None, old_pid), 15)
    wait_until(lambda: len(manager.tracker.list("device")) == 3, 15)
    assert "unknown" in seen          # never stale while the server was gone
    assert manager.client.shell(farm.phones[0].address, "echo back").output == "back\n"


def test_reboot_makes_the_phone_go_away_and_come_back(sim_farm, make_manager):
    farm = sim_farm(1, reboot_delay=0.5)
    manager = make_manager()
    phone = farm.phones[0]
    manager.client.connect(phone.address)
    wait_until(lambda: manager.tracker.usable(phone.address), 5)
    seen = []
    manager.tracker.subscribe(lambda serial, state: seen.append(state))
    manager.client.reboot(phone.address)
    wait_until(lambda: any(s in ("offline", "absent") for s in seen), 5)
    wait_until(lambda: manager.tracker.usable(phone.address), 15)


def test_a_disconnected_phone_is_forgotten(sim_farm, make_manager):
    farm = sim_farm(1)
    store = MemoryStore()
    manager = make_manager(store=store)
    phone = farm.phones[0]
    manager.client.connect(phone.address)
    wait_until(lambda: manager.tracker.usable(phone.address), 5)
    manager.client.disconnect(phone.address)
    assert store.meta.get("tcp_devices") == []
    wait_until(lambda: manager.tracker.get(phone.address).state == "absent", 5)


def test_a_restarted_hub_reconnects_the_tcp_phones_it_had(sim_farm, make_manager, tmp_path):
    from appliance.storage import Store

    farm = sim_farm(2)
    store = Store.open(tmp_path / "store")
    try:
        first = make_manager(store=store)
        for phone in farm.phones:
            first.client.connect(phone.address)
        first.stop()   # the hub stops; its adb server (and every TCP link) goes with it

        second = make_manager(store=store)
        wait_until(lambda: {i.serial for i in second.tracker.list("device")} == set(farm.addresses()), 10)
    finally:
        store.close()
