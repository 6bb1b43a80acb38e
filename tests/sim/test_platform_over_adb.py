"""The platform facts scripts rely on, over the real adb server: a pushed file keeps its local
mtime and is indexed with it, dumps fail while a video plays and take their time without
blocking other commands, pm/dumpsys answer with the texts and exit codes of a phone.
"""

from __future__ import annotations

import os
import threading
import time

from ppadb.client import Client

from tests.fixtures import wait_for
from tests.sim.fake_ui import PKG, fake_factory


def one_phone(adb_server, sim_farm, connected_phones, **settings):
    phone = sim_farm(1, seed=8, ui_factory=fake_factory, **settings).phones[0]
    connected_phones([phone])
    return phone, Client("127.0.0.1", adb_server.port).device(phone.address)


def test_push_keeps_the_mtime_and_the_scan_indexes_it(adb_server, sim_farm, connected_phones, tmp_path):
    phone, device = one_phone(adb_server, sim_farm, connected_phones)
    clip = tmp_path / "old.mp4"
    clip.write_bytes(bytes(3000))
    os.utime(clip, (1_600_000_000, 1_600_000_000))
    pushed = adb_server.run("-s", phone.address, "push", str(clip), "/sdcard/DCIM/Camera/old.mp4")
    assert pushed.returncode == 0
    assert phone.fs.stat("/storage/emulated/0/DCIM/Camera/old.mp4").mtime == 1_600_000_000
    out = device.shell("am broadcast -a android.intent.action.MEDIA_SCANNER_SCAN_FILE "
                       "-d file:///storage/emulated/0/DCIM/Camera/old.mp4")
    assert out.endswith("Broadcast completed: result=0\n")
    assert phone.ui.scans == [("/sdcard/DCIM/Camera/old.mp4", 3000, 1_600_000_000)]
    device.shell("touch /sdcard/DCIM/Camera/old.mp4")
    assert len(phone.ui.scans) == 1
    out = device.shell("content call --uri content://media --method scan_file "
                       "--arg /sdcard/DCIM/Camera/old.mp4")
    assert out.startswith("Result: Bundle[{android.intent.extra.STREAM=content://media/external_primary/video/")
    assert phone.ui.scans[-1][2] > time.time() - 60


def test_dump_over_adb_fails_while_playing_and_does_not_block_others(adb_server, sim_farm, connected_phones):
    phone, device = one_phone(adb_server, sim_farm, connected_phones, idle_fail_rate=1.0)
    assert device.shell("uiautomator dump /sdcard/d.xml") == "UI hierchary dumped to: /sdcard/d.xml\n"
    phone.ui.playing = True
    result = adb_server.run("-s", phone.address, "shell", "rm /sdcard/d.xml; uiautomator dump /sdcard/d.xml; "
                            "echo status=$?; ls /sdcard/d.xml")
    assert result.stdout == ("ERROR: could not get idle state.\nstatus=0\n"
                             "ls: /sdcard/d.xml: No such file or directory\n")
    phone.ui.playing = False
    phone.dump_seconds = (0.8, 0.8)
    answers: list[str] = []
    worker = threading.Thread(target=lambda: answers.append(device.shell("uiautomator dump")), daemon=True)
    started = time.monotonic()
    worker.start()
    wait_for(lambda: "uiautomator dump" in phone.command_log, 5, message="the dump to start")
    assert device.shell("getprop ro.serialno") == f"{phone.serial}\n"
    assert not answers, "the dump answered before its dump_seconds"
    worker.join(5)
    assert answers == ["UI hierchary dumped to: /sdcard/window_dump.xml\n"]
    assert time.monotonic() - started >= 0.75


def test_pm_and_dumpsys_over_adb(adb_server, sim_farm, connected_phones):
    phone, device = one_phone(adb_server, sim_farm, connected_phones, sdk=33, locale="fr", app_build=2)
    assert device.shell("getprop persist.sys.locale; getprop ro.build.version.sdk") == "fr-FR\n33\n"
    assert device.shell(f"pm grant {PKG} android.permission.READ_MEDIA_VIDEO; echo $?") == "0\n"
    assert "android.permission.READ_MEDIA_VIDEO" in phone.ui.granted
    out = device.shell("pm grant com.nope android.permission.READ_MEDIA_VIDEO 2>&1; echo $?")
    assert "java.lang.IllegalArgumentException: Unknown package: com.nope" in out and out.endswith("255\n")
    assert device.shell(f"dumpsys package {PKG} | grep versionName") == "    versionName=44.9.3\n"
    assert device.shell("pm path com.nope; echo $?") == "1\n"
    assert device.shell(f"pm path {PKG}").endswith("/base.apk\n")
    phone.ui.keyboard = True
    assert device.shell("dumpsys input_method | grep mInputShown") == "  mInputShown=true\n"
