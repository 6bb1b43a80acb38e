"""The simulated phone's platform as a script sees it, in process (no adb): uiautomator dump
latency and idle failures, the media index, pm grant/revoke/path, dumpsys package/input_method,
props that agree with the app's sdk and locale, farms assigning builds and locales round robin.
"""

from __future__ import annotations

import random
import re
import threading
import time

import pytest

from appliance.sim import SimFarm, SimPhone
from appliance.sim.android import VirtualAndroid, make_props
from tests.fixtures import wait_for
from tests.sim.fake_ui import PKG, FakeUi, fake_factory


def make_android(*, sdk=33, locale="en", dump_seconds=0.0, idle_fail_rate=0.7, seed=3, app_build=1):
    rng = random.Random(seed)
    props = make_props("SIM0042", rng, locale=locale, sdk=sdk)
    ui = FakeUi(serial="SIM0042", sdk=sdk, locale=locale, app_build=app_build)
    return VirtualAndroid("SIM0042", rng, ui, props=props, dump_seconds=dump_seconds,
                          idle_fail_rate=idle_fail_rate)


def run(android, line: str) -> tuple[str, int]:
    output, status = android.run(line)
    return output.decode(), status


# -- uiautomator dump
def test_dump_fails_while_a_video_plays_and_leaves_the_old_file():
    android = make_android(idle_fail_rate=1.0)
    assert run(android, "uiautomator dump /sdcard/d.xml") == ("UI hierchary dumped to: /sdcard/d.xml\n", 0)
    old = android.fs.stat("/sdcard/d.xml")
    android.ui.playing = True
    assert run(android, "uiautomator dump /sdcard/d.xml") == ("ERROR: could not get idle state.\n", 0)
    assert run(android, "uiautomator dump --compressed /dev/tty") == ("ERROR: could not get idle state.\n", 0)
    assert android.fs.stat("/sdcard/d.xml") is old
    out = run(android, "uiautomator dump /sdcard/new.xml; ls /sdcard/new.xml")[0]
    assert out.endswith("No such file or directory\n")
    android.ui.playing = False
    xml, status = run(android, "uiautomator dump --compressed /dev/tty")
    assert status == 0 and xml.startswith("<?xml") and xml.endswith("UI hierchary dumped to: /dev/tty\n")


def test_idle_failures_are_seeded_and_follow_the_rate():
    def outcomes(seed):
        android = make_android(seed=seed, idle_fail_rate=0.7)
        android.ui.playing = True
        return [run(android, "uiautomator dump")[0].startswith("ERROR") for _ in range(60)]

    first = outcomes(5)
    assert first == outcomes(5) and first != outcomes(6)
    assert 25 <= sum(first) <= 55  # about 0.7 of 60
    android = make_android(idle_fail_rate=0.0)
    android.ui.playing = True
    assert run(android, "uiautomator dump")[0].startswith("UI hierchary")


def test_dump_takes_its_time_without_holding_the_ui_lock():
    android = make_android(dump_seconds=(0.4, 0.4))
    done = threading.Event()
    started = time.monotonic()
    threading.Thread(target=lambda: (run(android, "uiautomator dump"), done.set()), daemon=True).start()
    wait_for(lambda: android.command_log, 2, message="the dump to start")
    assert android.ui_lock.acquire(timeout=0.1)  # not held while the dump waits for idle
    android.ui_lock.release()
    assert run(android, "getprop ro.serialno") == ("SIM0042\n", 0)
    assert not done.is_set()
    assert done.wait(3) and time.monotonic() - started >= 0.39


# -- media index
def test_scan_broadcast_and_content_call_index_size_and_mtime_at_scan_time():
    android = make_android()
    android.fs.write("/sdcard/DCIM/Camera/a.mp4", b"x" * 10, mtime=1_000_000.0)
    out, status = run(android, "am broadcast -a android.intent.action.MEDIA_SCANNER_SCAN_FILE "
                               "-d file:///storage/emulated/0/DCIM/Camera/a.mp4")
    assert status == 0 and out.endswith("Broadcast completed: result=0\n")
    assert android.ui.scans == [("/sdcard/DCIM/Camera/a.mp4", 10, 1_000_000.0)]
    run(android, "touch /sdcard/DCIM/Camera/a.mp4")
    now = android.fs.stat("/sdcard/DCIM/Camera/a.mp4").mtime
    assert now > time.time() - 60 and len(android.ui.scans) == 1  # no rescan, no reorder
    out, status = run(android, "content call --uri content://media --method scan_file "
                               "--arg /storage/self/primary/DCIM/Camera/a.mp4")
    assert status == 0 and out.startswith("Result: Bundle[{android.intent.extra.STREAM=content://media/")
    assert android.ui.scans[-1] == ("/sdcard/DCIM/Camera/a.mp4", 10, now)
    run(android, "rm /sdcard/DCIM/Camera/a.mp4")
    out, _ = run(android,
                 "content call --uri content://media --method scan_file --arg /sdcard/DCIM/Camera/a.mp4")
    assert out == "Result: Bundle[{android.intent.extra.STREAM=null}]\n"
    assert android.ui.removed == ["/sdcard/DCIM/Camera/a.mp4"]


def test_scan_volume_indexes_every_media_file_and_drops_deleted_ones():
    android = make_android()
    for path in ("/sdcard/Download/b.mp4", "/sdcard/Pictures/c.jpg", "/sdcard/Download/notes.txt",
                 "/sdcard/Android/data/cache.mp4"):
        android.fs.write(path, b"1234", mtime=2_000_000.0)
    android.fs.write("/sdcard/Movies/.nomedia", b"")
    android.fs.write("/sdcard/Movies/hidden.mp4", b"12")
    scan = "content call --uri content://media --method scan_volume --arg external_primary"
    assert run(android, scan) == ("Result: null\n", 0)
    assert sorted(p for p, _, _ in android.ui.scans) == ["/sdcard/Download/b.mp4", "/sdcard/Pictures/c.jpg"]
    run(android, "rm /sdcard/Download/b.mp4")
    run(android, "content call --uri content://media --method scan_volume --arg external_primary")
    assert android.ui.removed == ["/sdcard/Download/b.mp4"]


def test_touch_sets_now_or_a_given_time():
    android = make_android()
    android.fs.write("/sdcard/t.mp4", b"abc", mtime=5.0)
    assert run(android, "touch -d @1700000000 /sdcard/t.mp4") == ("", 0)
    assert android.fs.stat("/sdcard/t.mp4").mtime == 1_700_000_000
    assert android.fs.read("/sdcard/t.mp4") == b"abc"
    run(android, "touch -t 202401020304.05 /sdcard/t.mp4")
    assert android.fs.stat("/sdcard/t.mp4").mtime == 1704164645
    run(android, "touch /sdcard/t.mp4")
    assert abs(android.fs.stat("/sdcard/t.mp4").mtime - time.time()) < 5
    assert run(android, "touch -c /sdcard/none.mp4; ls /sdcard/none.mp4")[1] == 1
    run(android, "mv /sdcard/t.mp4 /sdcard/u.mp4")
    assert abs(android.fs.stat("/sdcard/u.mp4").mtime - time.time()) < 5


# -- packages and permissions
def test_pm_grant_revoke_and_their_errors():
    android = make_android(sdk=33)
    assert run(android, f"pm grant {PKG} android.permission.READ_MEDIA_VIDEO") == ("", 0)
    assert "android.permission.READ_MEDIA_VIDEO" in android.ui.granted
    assert "android.permission.READ_MEDIA_VIDEO: granted=true" in run(android, f"dumpsys package {PKG}")[0]
    assert run(android, f"pm revoke {PKG} android.permission.READ_MEDIA_VIDEO") == ("", 0)
    assert not android.ui.granted
    out, status = run(android, "pm grant com.nope android.permission.CAMERA")
    assert status == 255 and out.startswith("Exception occurred while executing 'grant':\n"
                                            "java.lang.IllegalArgumentException: Unknown package: com.nope\n")
    out, status = run(android, f"pm grant {PKG} android.permission.NOPE")
    assert status == 255
    assert "java.lang.IllegalArgumentException: Unknown permission: android.permission.NOPE" in out
    out, status = run(make_android(sdk=30), f"pm grant {PKG} android.permission.READ_MEDIA_IMAGES")
    assert status == 255 and "Unknown permission: android.permission.READ_MEDIA_IMAGES" in out


def test_pm_path_is_stable_and_absent_packages_exit_1():
    android = make_android()
    out, status = run(android, f"pm path {PKG}")
    assert status == 0 and out == run(android, f"pm path {PKG}")[0]
    assert re.fullmatch(rf"package:/data/app/~~[\w-]{{22}}==/{re.escape(PKG)}-[\w-]{{22}}==/base\.apk\n", out)
    assert run(android, "pm path com.nope") == ("", 1)
    assert run(android, "pm list packages adbkeyboard") == ("package:com.android.adbkeyboard\n", 0)


def test_dumpsys_package_versions():
    for build, name in ((1, "43.1.4"), (3, "46.2.5")):
        out = run(make_android(app_build=build), f"dumpsys package {PKG}")[0]
        assert f"    versionName={name}\n" in out and "    versionCode=20" in out
    out = run(make_android(), "dumpsys package com.android.adbkeyboard")[0]
    assert "    versionName=1.0\n" in out and "    versionCode=1 " in out
    out, status = run(make_android(), "dumpsys package com.nope")
    assert status == 0 and "Unable to find package: com.nope" in out and "versionName" not in out


def test_dumpsys_input_method_follows_the_keyboard_and_the_ime():
    android = make_android()
    assert run(android, "dumpsys input_method | grep mInputShown") == ("  mInputShown=false\n", 0)
    android.ui.keyboard = True
    assert run(android, "dumpsys input_method | grep mInputShown") == ("  mInputShown=true\n", 0)
    assert run(android, "ime set com.android.adbkeyboard/.AdbIME")[1] == 0
    assert run(android, "dumpsys input_method | grep mCurMethodId") == (
        "  mCurMethodId=com.android.adbkeyboard/.AdbIME\n", 0)
    assert run(android, "ime set com.nope/.Ime")[1] == 255


def test_props_agree_with_locale_and_sdk():
    android = make_android(locale="fr", sdk=34)
    assert run(android, "getprop persist.sys.locale; getprop ro.product.locale") == ("fr-FR\nfr-FR\n", 0)
    assert run(android, "getprop ro.build.version.sdk; getprop ro.build.version.release") == ("34\n14\n", 0)


# -- phones and farms
def test_phone_gives_the_app_its_sdk_locale_build_and_settings():
    phone = SimPhone("SIM0001", seed=2, ui_factory=fake_factory, locale="fr", app_build=2,
                     dump_seconds=0.0, popup_rate=0.0)
    assert phone.ui.sdk == int(phone.props["ro.build.version.sdk"]) and phone.ui.locale == "fr"
    assert phone.ui.app_build == 2 and phone.ui.settings["popup_rate"] == 0.0
    assert phone.ui.settings["upload_seconds"] == (20.0, 40.0) and phone.dump_seconds == 0.0
    assert phone.idle_fail_rate == 0.7 and phone.props["persist.sys.locale"] == "fr-FR"


def test_farm_assigns_builds_and_locales_round_robin():
    farm = SimFarm(5, ui_factory=fake_factory, app_build=[1, 2, 3], locale=["en", "fr"],
                   phone_settings={"dump_seconds": (0.0, 0.0), "upload_seconds": 1.0})
    assert [p.ui.app_build for p in farm] == [1, 2, 3, 1, 2]
    assert [p.ui.locale for p in farm] == ["en", "fr", "en", "fr", "en"]
    assert all(p.ui.settings["upload_seconds"] == 1.0 and p.dump_seconds == (0.0, 0.0) for p in farm)
    assert [p.ui.app_build for p in SimFarm(2, ui_factory=fake_factory)] == [1, 1]
    with pytest.raises(ValueError):
        SimFarm(2, ui_factory=fake_factory, app_build=[])


def test_sim_farm_fixture_is_fast_but_keeps_the_idle_failures(sim_farm):
    farm = sim_farm(2, ui_factory=fake_factory, locale=["en", "fr"], upload_seconds=2.0)
    assert all(p.dump_seconds == (0.0, 0.01) and p.idle_fail_rate == 0.7 for p in farm)
    assert [p.ui.settings["upload_seconds"] for p in farm] == [2.0, 2.0]
    assert [p.ui.locale for p in farm] == ["en", "fr"]
