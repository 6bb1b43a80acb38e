"""Onboarding a real phone: the health check reads whether the TikTok app (`app_package`) and the
ADB keyboard are installed, and a phone missing either is not usable, with the reason spelled out.
Real adb server, simulated phones; packages removed and put back through the phone's own `pm`."""

import re

from tests.fixtures import wait_until

APP = "com.zhiliaoapp.musically"
KEYBOARD = "com.android.adbkeyboard"


def connected(manager, phone):
    """Connected and through its first (automatic) health check, so none runs beside the test's."""
    manager.client.connect(phone.address)
    wait_until(lambda: (lambda i: i and i.usable and i.health)(manager.tracker.get(phone.address)), 5)
    return phone.address


def version_on_phone(client, serial) -> str:
    """The versionName the phone itself reports (what an operator would read with adb)."""
    out = client.shell(serial, f"dumpsys package {APP} | grep versionName").output
    return re.search(r"versionName=(\S+)", out).group(1)


def reinstall(manager, serial, package):
    """The simulated `pm install` takes the package name from the file name."""
    apk = f"/data/local/tmp/{package}.apk"
    result = manager.client.shell(serial, f"touch {apk} && pm install {apk}")
    assert result.ok, result.output


def test_a_phone_without_the_app_or_the_keyboard_is_not_usable_and_says_why(sim_farm, make_manager):
    farm = sim_farm(1)
    manager = make_manager()
    serial = connected(manager, farm.phones[0])

    health = manager.health.check(serial)
    assert health["app"] == {"package": APP, "installed": True,
                             "version": version_on_phone(manager.client, serial)}
    assert health["keyboard_installed"] is True
    info = manager.tracker.get(serial).to_dict()
    assert info["usable"] is True and info["unusable_reason"] is None

    assert manager.client.shell(serial, f"pm uninstall {APP}").ok
    manager.health.check(serial)
    info = manager.tracker.get(serial).to_dict()
    assert info["health"]["app"] == {"package": APP, "installed": False, "version": None}
    assert info["usable"] is False and not manager.tracker.usable(serial)
    assert info["unusable_reason"] == (f"TikTok ({APP}) is not installed on this phone: install it "
                                       "from the Play Store (see README, 'Preparing a phone')")

    assert manager.client.shell(serial, f"pm uninstall {KEYBOARD}").ok
    manager.health.check(serial)
    reason = manager.tracker.get(serial).unusable_reason
    assert f"TikTok ({APP}) is not installed" in reason
    assert "the ADB keyboard (com.android.adbkeyboard) is not installed: adb install " \
           "ADBKeyboard.apk, then `adb shell ime enable com.android.adbkeyboard/.AdbIME`" in reason

    # installed again: usable from the next check on
    reinstall(manager, serial, APP)
    reinstall(manager, serial, KEYBOARD)
    manager.health.check(serial)
    assert manager.tracker.usable(serial) and manager.tracker.get(serial).unusable_reason is None


def test_the_app_checked_is_the_configured_one(sim_farm, make_manager):
    farm = sim_farm(1)
    manager = make_manager(app_package="trill")   # the simulated phones carry the international app
    phone = farm.phones[0]
    manager.client.connect(phone.address)
    # the health thread checks a phone as soon as it comes online
    info = wait_until(lambda: (lambda i: i if i and i.health else None)(
        manager.tracker.get(phone.address)), 5)
    assert info.health["app"] == {"package": "com.ss.android.ugc.trill", "installed": False,
                                  "version": None}
    assert not info.usable and "TikTok (com.ss.android.ugc.trill) is not installed" in info.unusable_reason
