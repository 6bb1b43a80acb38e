"""What the device use cases accept before anything reaches adb (security review): serials and
connect addresses, checked whole (a trailing newline is not a valid end)."""

import pytest

from appliance.errors import InvalidParams
from appliance.services.devices import check_serial, parse_address


@pytest.mark.parametrize("serial", ["abc\n", "emulator-5554\n", "a b", "x;reboot", "ü", "", "a" * 65])
def test_bad_serials_are_40001(serial):
    with pytest.raises(InvalidParams):
        check_serial(serial)


@pytest.mark.parametrize("address", ["evil\n:5555", "phone.lan\n:5555", "1.2.3.4\n:5555",
                                     "host:5555\n1", "host:５５５５", "x\u2028y:5555"])
def test_bad_addresses_are_40001(address):
    with pytest.raises(InvalidParams):
        parse_address(address)


def test_good_serials_and_addresses_pass():
    assert check_serial("emulator-5554") == "emulator-5554"
    assert check_serial("192.168.1.20:5555") == "192.168.1.20:5555"
    assert parse_address(" phone-1.lan:5555 ") == "phone-1.lan:5555"
    assert parse_address("10.0.0.7:5555") == "10.0.0.7:5555"
