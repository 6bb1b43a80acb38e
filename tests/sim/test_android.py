"""The virtual Android's commands as a script on a phone would see them (in-process, no adb)."""

from __future__ import annotations

import random
import re

import pytest

from appliance.sim.android import VirtualAndroid
from appliance.sim.ui import AndroidUi

PKG = "com.zhiliaoapp.musically"


class Clock:
    def __init__(self):
        self.now = 1_700_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def android(clock):
    return VirtualAndroid("SIM0042", random.Random(3), AndroidUi(random.Random(3), "SIM0042"), clock=clock,
                          dump_seconds=0.0, idle_fail_rate=0.0)  # dump failures: test_platform.py


def run(android, line: str) -> tuple[str, int]:
    output, status = android.run(line)
    return output.decode(), status


def test_getprop_knows_the_phone(android):
    assert run(android, "getprop ro.serialno") == ("SIM0042\n", 0)
    assert run(android, "getprop ro.build.version.sdk")[0].strip().isdigit()
    assert run(android, "getprop no.such.prop") == ("\n", 0)
    assert "[ro.serialno]: [SIM0042]" in run(android, "getprop")[0]


def test_unknown_command_is_not_found_127(android):
    assert run(android, "bogus x y") == ("sh: bogus: not found\n", 127)


def test_packages_install_uninstall_clear(android):
    assert f"package:{PKG}\n" in run(android, "pm list packages")[0]
    assert run(android, "pm list packages musically") == (f"package:{PKG}\n", 0)
    apk = "/data/local/tmp/com.example.demo.apk"
    assert run(android, f"touch {apk} && pm install -r {apk}") == ("Success\n", 0)
    assert "package:com.example.demo" in run(android, "pm list packages")[0]
    assert run(android, "pm uninstall com.example.demo") == ("Success\n", 0)
    assert "com.example.demo" not in run(android, "pm list packages")[0]
    assert run(android, "pm install /sdcard/missing.apk")[1] == 1
    assert run(android, f"pm clear {PKG}") == ("Success\n", 0)


def test_launch_dump_and_stop_the_app(android):
    assert "Events injected: 1" in run(android, f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1")[0]
    assert PKG in run(android, "dumpsys window | grep mCurrentFocus")[0]
    xml, status = run(android, "uiautomator dump /dev/tty")
    assert status == 0 and xml.startswith("<?xml") and f'package="{PKG}"' in xml
    assert xml.endswith("UI hierchary dumped to: /dev/tty\n")
    assert run(android, "uiautomator dump") == ("UI hierchary dumped to: /sdcard/window_dump.xml\n", 0)
    assert run(android, "cat /sdcard/window_dump.xml")[0].startswith("<?xml")
    run(android, f"am force-stop {PKG}")
    assert PKG not in run(android, "dumpsys window")[0]
    assert run(android, "monkey -p com.not.installed 1")[1] == 252


def test_am_start_and_deep_links(android):
    output, status = run(android, "am start -a android.intent.action.VIEW -d https://www.tiktok.com/@someone")
    assert status == 0 and output.startswith("Starting: Intent { act=android.intent.action.VIEW")
    assert PKG in run(android, "dumpsys window")[0]
    output, status = run(android, "am start -n com.not.there/.Main")
    assert status == 1 and "does not exist" in output


def test_input_commands_check_their_arguments(android):
    assert run(android, "input tap 540 1200") == ("", 0)
    assert run(android, "input swipe 540 1800 540 400 200") == ("", 0)
    assert run(android, "input text hello%sworld") == ("", 0)
    assert run(android, "input keyevent KEYCODE_BACK 66") == ("", 0)
    assert run(android, "input tap 1 2 3")[1] == 1
    assert run(android, "input tap x y")[1] == 1


def test_adbkeyboard_broadcast(android):
    output, status = run(android, "am broadcast -a ADB_INPUT_TEXT --es msg '你好 🎉'")
    assert status == 0 and output.endswith("Broadcast completed: result=0\n")


def test_screencap_to_stdout_and_to_a_file(android):
    png, status = android.run("screencap -p")
    assert status == 0 and png.startswith(b"\x89PNG\r\n\x1a\n")
    assert android.run("screencap -p /sdcard/shot.png") == (b"", 0)
    assert android.fs.read("/sdcard/shot.png").startswith(b"\x89PNG")


def test_battery_reads_like_a_phone_and_drifts(android, clock):
    text, status = run(android, "dumpsys battery")
    assert status == 0 and text.startswith("Current Battery Service state:\n")
    for line in ("  AC powered: false", "  USB powered: true", "  status: 2", "  scale: 100"):
        assert line in text.splitlines()
    level = int(re.search(r"^  level: (\d+)$", text, re.M).group(1))
    temperature = int(re.search(r"^  temperature: (\d+)$", text, re.M).group(1))
    assert 20 <= level <= 100 and 250 <= temperature <= 360  # tenths of a degree C
    clock.now += 3600
    later = run(android, "dumpsys battery")[0]
    assert int(re.search(r"^  level: (\d+)$", later, re.M).group(1)) > level
    android.hot_temperature = 52.0
    assert "  temperature: 520" in run(android, "dumpsys battery")[0].splitlines()


def test_settings_wm_ime(android):
    brightness = "settings put system screen_brightness 200; settings get system screen_brightness"
    assert run(android, brightness) == ("200\n", 0)
    assert run(android, "settings get global no_such_key") == ("null\n", 0)
    assert run(android, "wm size") == ("Physical size: 1080x2400\n", 0)
    run(android, "ime set com.android.adbkeyboard/.AdbIME")
    assert run(android, "settings get secure default_input_method") == (
        "com.android.adbkeyboard/.AdbIME\n", 0)


def test_files_under_sdcard_and_tmp(android):
    assert run(android, "mkdir -p /sdcard/a/b && echo 'hi there' > /sdcard/a/b/f.txt && "
                        "cat /sdcard/a/b/f.txt") == ("hi there\n", 0)
    assert run(android, "echo more >> /storage/emulated/0/a/b/f.txt; cat /sdcard/a/b/f.txt") == (
        "hi there\nmore\n", 0)
    assert run(android, "ls /sdcard/a/b") == ("f.txt\n", 0)
    assert run(android, "ls /sdcard/nope") == ("ls: /sdcard/nope: No such file or directory\n", 1)
    assert run(android, "cat /sdcard/nope") == ("cat: /sdcard/nope: No such file or directory\n", 1)
    assert run(android, "rm /sdcard/a/b/f.txt && ls /sdcard/a/b") == ("", 0)
    assert run(android, "rm /sdcard/a") == ("rm: /sdcard/a: Is a directory\n", 1)
    assert run(android, "rm -rf /sdcard/a /sdcard/never; ls /sdcard/a")[1] == 1
    assert run(android, "echo x > /system/x")[1] == 1
    assert run(android, "mkdir /data/app/x")[1] == 1
    assert run(android, "echo x > /data/local/tmp/t; cat < /data/local/tmp/t") == ("x\n", 0)
    assert run(android, "[ -f /data/local/tmp/t ] && echo file; test -d /sdcard && echo dir") == (
        "file\ndir\n", 0)


def test_pipes_and_redirections(android):
    assert run(android, "getprop | grep -c serialno") == ("2\n", 0)
    assert run(android, "dumpsys battery | grep level | wc -l") == ("1\n", 0)
    assert run(android, "nosuch 2>/dev/null; echo $?") == ("127\n", 0)
    assert run(android, "cat /nope 2>&1 >/dev/null | wc -l") == ("1\n", 0)


def test_every_command_line_is_logged(android):
    run(android, "echo a")
    run(android, "getprop ro.serialno")
    assert android.command_log == ["echo a", "getprop ro.serialno"]


def test_status_pages_scripts_grep(android):
    run(android, f"monkey -p {PKG} 1")
    assert run(android, "dumpsys activity top | grep ACTIVITY")[0].startswith(f"  ACTIVITY {PKG}/")
    assert PKG in run(android, "dumpsys activity activities | grep mResumedActivity")[0]
    assert run(android, "dumpsys power | grep mWakefulness") == ("  mWakefulness=Awake\n", 0)
    assert run(android, "dumpsys input_method | grep -c mInputShown") == ("1\n", 0)
    assert "versionName=" in run(android, f"dumpsys package {PKG}")[0]
    assert run(android, "dumpsys nosuchservice") == ("Can't find service: nosuchservice\n", 0)
    waited, status = run(android, f"am start -W -n {PKG}/com.ss.android.ugc.aweme.splash.SplashActivity")
    assert status == 0 and "Status: ok" in waited and waited.endswith("Complete\n")
