"""quote(), the exit-status sentinel and device-list parsing, without phones.

quote() is checked against a real POSIX shell (dash/bash as /bin/sh) the same way the phone's sh
reads it; the phone round trip is in test_client.py.
"""

import subprocess

import pytest

from appliance.devices import quote
from appliance.devices.client import split_sentinel, wrap_command
from appliance.devices.health import health_command, is_hot, parse_health
from appliance.devices.tracker import DeviceInfo, normalize
from appliance.devices.wire import failure, parse_device_list
from appliance.errors import (
    DeviceCommandFailed,
    DeviceNotFound,
    DeviceOffline,
    DeviceUnauthorized,
    InvalidParams,
)

NASTY = ("a'b\"c`d$(id)${HOME}$HOME\\n\\ ;|&<>(){}[]*?~!#%^=,\t tab\nnew line\r\n"
         "ünïcødé 中文 🙂 '' \"\" -n -e --")


def test_quote_passes_every_metacharacter_through_a_posix_shell():
    out = subprocess.run(["sh", "-c", "printf %s " + quote(NASTY)], capture_output=True).stdout
    assert out.decode() == NASTY


def test_quote_survives_a_nested_sh_c_like_the_client_sends():
    line = wrap_command("printf %s " + quote(NASTY), "adbxTOKEN")
    out = subprocess.run(["sh", "-c", line], capture_output=True).stdout
    assert split_sentinel(out, "adbxTOKEN") == (NASTY.encode(), 0)


def test_quote_refuses_nul():
    with pytest.raises(InvalidParams):
        quote("a\0b")


@pytest.mark.parametrize("command,status", [("exit 3", 3), ("true", 0), ("false", 1),
                                            ("echo ')' # (", 0), ("printf x", 0)])
def test_sentinel_carries_the_exit_status(command, status):
    out = subprocess.run(["sh", "-c", wrap_command(command, "adbxT1")], capture_output=True).stdout
    _output, got = split_sentinel(out, "adbxT1")
    assert got == status


def test_sentinel_keeps_output_without_trailing_newline_byte_for_byte():
    assert split_sentinel(b"abcadbxT:0\n", "adbxT") == (b"abc", 0)
    assert split_sentinel(b"abc\n\nadbxT:7\n", "adbxT") == (b"abc\n\n", 7)
    assert split_sentinel(b"adbxT:0 in output\nadbxT:2\n", "adbxT") == (b"adbxT:0 in output\n", 2)


def test_missing_sentinel_means_the_stream_was_cut():
    assert split_sentinel(b"half of the outp", "adbxT") is None
    assert split_sentinel(b"", "adbxT") is None
    assert split_sentinel(b"xxadbxT", "adbxT") is None


def test_device_lists_parse_every_state():
    text = ("emulator-5554\tdevice\n127.0.0.1:40001\toffline\nR58M\tunauthorized\n"
            "abc\tno permissions (user in plugdev group; are your udev rules wrong?)\n"
            "X1\tdevice product:p model:M device:d transport_id:3\n")
    assert parse_device_list(text) == {
        "emulator-5554": "device", "127.0.0.1:40001": "offline", "R58M": "unauthorized",
        "abc": "no permissions", "X1": "device"}
    assert parse_device_list("") == {}
    assert [normalize(s) for s in ("device", "authorizing", "recovery", "no permissions")] == [
        "device", "unauthorized", "offline", "offline"]


def test_server_refusals_become_typed_errors():
    assert isinstance(failure("device 'X' not found", "X"), DeviceNotFound)
    assert isinstance(failure("device offline", "X"), DeviceOffline)
    assert isinstance(failure("device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set"),
                      DeviceUnauthorized)
    assert isinstance(failure("device still authorizing"), DeviceUnauthorized)
    assert isinstance(failure("closed"), DeviceCommandFailed)


DUMPSYS = """Current Battery Service state:
  AC powered: false
  USB powered: true
  Wireless powered: false
  status: 2
  health: 2
  level: 87
  temperature: 312
::props
Pixel 7
google
14
34
::wm
Physical size: 1080x2400
"""


def test_health_output_parses_to_units_a_person_reads():
    assert parse_health(DUMPSYS) == {
        "battery_level": 87, "temperature": 31.2, "charging": True, "powered": True,
        "model": "Pixel 7", "brand": "google", "android_version": "14", "sdk": 34,
        "screen_size": "1080x2400",
        # an older phone's output without the app sections: not known, never guessed
        "app": {"package": "com.zhiliaoapp.musically", "installed": None, "version": None},
        "keyboard_installed": None}
    assert parse_health("garbage")["temperature"] is None
    assert parse_health("garbage")["app"]["installed"] is None


# What a real phone prints for the app sections: `pm path` gives `package:<apk>` or nothing,
# `dumpsys package P | grep versionName` one line per installed copy (an updated system app
# has two: the first is the running one).
APP_PRESENT = DUMPSYS + """::app
package:/data/app/~~Xy1=/com.ss.android.ugc.trill-AbC==/base.apk
package:/data/app/~~Xy1=/com.ss.android.ugc.trill-AbC==/split_config.arm64_v8a.apk
::version
    versionName=43.1.4
    versionName=40.0.1
::keyboard
package:/data/app/com.android.adbkeyboard-1/base.apk
"""


def test_health_reads_the_app_its_version_and_the_keyboard():
    health = parse_health(APP_PRESENT, "com.ss.android.ugc.trill")
    assert health["app"] == {"package": "com.ss.android.ugc.trill", "installed": True,
                             "version": "43.1.4"}
    assert health["keyboard_installed"] is True and health["model"] == "Pixel 7"

    missing = parse_health(DUMPSYS + "::app\n::version\n::keyboard\n")
    assert missing["app"] == {"package": "com.zhiliaoapp.musically", "installed": False,
                              "version": None}
    assert missing["keyboard_installed"] is False
    # pm itself failed: the answer is not "missing" (that would take the phone out of work)
    broken = parse_health(DUMPSYS + "::app\nError: Could not access the Package Manager.\n"
                                    "::version\n::keyboard\n")
    assert broken["app"]["installed"] is None and broken["keyboard_installed"] is False


def test_health_command_is_one_call_in_the_shell_subset_the_phones_share():
    trill = quote("com.ss.android.ugc.trill")
    command = health_command("com.ss.android.ugc.trill")
    assert f"pm path {trill}" in command
    assert f"dumpsys package {trill} | grep versionName" in command
    assert "pm path com.android.adbkeyboard" in command
    for word in ("if ", "for ", "while ", "case "):
        assert word not in command


def info(state="device", **fields) -> DeviceInfo:
    return DeviceInfo("R58M123ABC", state, state, 0.0, 0.0, 0.0, **fields)


def test_every_unusable_phone_says_why():
    assert info().usable and info().unusable_reason is None   # health not checked yet: usable
    for state, words in (("offline", "offline"), ("absent", "appliance devices connect"),
                         ("unauthorized", "Always allow"), ("unknown", "re-syncing")):
        assert not info(state).usable and words in info(state).unusable_reason
    hot = info(hot=True, health={"temperature": 52.0})
    assert "hot (52.0 C)" in hot.unusable_reason
    assert "script abandoned" in info(quarantined="script abandoned").unusable_reason
    no_app = info(health={"app": {"package": "com.zhiliaoapp.musically", "installed": False},
                          "keyboard_installed": False})
    assert not no_app.usable
    assert "TikTok (com.zhiliaoapp.musically) is not installed on this phone" in no_app.unusable_reason
    assert "ime enable com.android.adbkeyboard/.AdbIME" in no_app.unusable_reason
    assert no_app.to_dict()["unusable_reason"] == no_app.unusable_reason
    unknown = info(health={"app": {"package": "x", "installed": None}, "keyboard_installed": None})
    assert unknown.usable and unknown.to_dict()["unusable_reason"] is None


def test_hot_has_hysteresis():
    assert is_hot(False, 46, hot=45, cool=40) is True
    assert is_hot(True, 42, hot=45, cool=40) is True
    assert is_hot(True, 39.9, hot=45, cool=40) is False
    assert is_hot(False, 45, hot=45, cool=40) is False
    assert is_hot(True, None, hot=45, cool=40) is True
