"""Many phones in one process: 100 attached to one adb server, each with its own serial."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from ppadb.client import Client

from appliance.sim import SimFarm
from tests.fixtures import free_port


def test_hundred_phones_each_answer_their_own_serial(fresh_adb_server, sim_farm, connected_phones):
    # Its own adb server: the shared one has been through hundreds of connects and disconnects
    # by now, and adb 29 once crashed (SIGSEGV) taking 100 more on top of that.
    farm = sim_farm(100, seed=5)
    assert len({phone.serial for phone in farm.phones}) == 100
    connected_phones(farm.phones, server=fresh_adb_server, timeout=60)
    client = Client("127.0.0.1", fresh_adb_server.port)

    def serial_of(phone):
        return client.device(phone.address).shell("getprop ro.serialno").strip()

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(serial_of, farm.phones))
    assert answers == [phone.serial for phone in farm.phones]


def test_consecutive_ports_and_lookup_by_serial():
    for _attempt in range(20):  # a neighbour of a free port may be taken: try another base
        base = free_port()
        if base + 3 > 65535 or any(5555 <= p <= 5585 for p in range(base, base + 3)):
            continue
        farm = SimFarm(3, base_port=base)
        try:
            farm.start()
            break
        except OSError:
            continue
    else:
        pytest.fail("no three consecutive free ports found")
    with farm:
        assert [phone.port for phone in farm.phones] == [base, base + 1, base + 2]
        assert farm.phone("SIM0002") is farm.phones[1]
        assert farm.phones[2].address == f"127.0.0.1:{base + 2}"
    with pytest.raises(KeyError):
        farm.phone("SIM9999")


def test_ports_probed_by_the_adb_server_are_refused():
    with pytest.raises(ValueError, match="5555"):
        SimFarm(3, base_port=5554)


def test_same_seed_same_phones():
    first, second = SimFarm(4, seed=9), SimFarm(4, seed=9)
    assert [p.props for p in first.phones] == [p.props for p in second.phones]
    assert [p.props for p in first.phones] != [p.props for p in SimFarm(4, seed=10).phones]
