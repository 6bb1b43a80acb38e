"""A phone whose health check found the TikTok app missing gets no tasks (its tasks stay pending,
the other phones work), and gets them again once the app is back: the engine asks the tracker's
`usable`, which the app check feeds."""

from tests.fixtures import short_warmup, wait_for

COMPLETED, FAILED, RUNNING, PENDING = 2, 3, 1, 0
APP = "com.zhiliaoapp.musically"


def test_a_phone_without_the_app_keeps_its_tasks_pending_until_the_app_is_back(phone_hub):
    hub = phone_hub(2)
    bare, ready = hub.serials
    devices = hub.services.devices
    wait_for(lambda: all(devices.tracker.get(s).health for s in hub.serials), 10,
             message="the first health check of each phone")
    assert devices.client.shell(bare, f"pm uninstall {APP}").ok
    devices.manager.health.check(bare)
    device = hub.ok("GET", f"/device/{bare}")
    assert device["usable"] is False and f"TikTok ({APP}) is not installed" in device["unusable_reason"]

    (held,) = hub.create([bare], short_warmup())
    (other,) = hub.create([ready], short_warmup())   # behind `held` in every dispatcher pass
    assert hub.wait_status(other, COMPLETED, FAILED)["status"] == COMPLETED
    assert hub.task(held)["status"] == PENDING
    assert not hub.sim(bare).app_records("launch")

    apk = f"/data/local/tmp/{APP}.apk"   # the simulated pm takes the package from the file name
    assert devices.client.shell(bare, f"touch {apk} && pm install {apk}").ok
    devices.manager.health.check(bare)
    assert hub.ok("GET", f"/device/{bare}")["usable"] is True
    # dispatched now (the reinstalled app starts logged out, so the script may well fail)
    hub.wait_status(held, RUNNING, COMPLETED, FAILED)
