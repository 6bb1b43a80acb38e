"""Every script through the Local API on simulated phones of three app builds and two locales,
and the field traps of the real app: dumps failing while a video plays (pause tap), the camera's
shutter next to its gallery entry, pushed files keeping an old mtime, popups over a step, the
`Publish video publicly?` sheet, the upload badge wait, an unknown screen failing fast."""

import os
import time

from appliance.scripts import screens

from .phonehub import COMPLETED, FAILED, media_file, messages, run_tasks

BUILDS = [1, 2, 3, 1, 2, 3]
LOCALES = ["en", "en", "en", "fr", "fr", "fr"]
URL = "https://www.tiktok.com/@chef.lu/video/7111111111111111111"


def ok(tasks):
    assert all(t["status"] == COMPLETED for t in tasks), [(t["serial"], t["remark"]) for t in tasks]
    return tasks


def test_every_script_on_three_builds_and_two_locales(phone_hub):
    hub = phone_hub(6, app_build=BUILDS, locale=LOCALES)
    media_file(hub, "clip.mp4", 40_000)
    base = {"serials": hub.serials}
    tasks = ok(run_tasks(hub, {**base, "script_name": "match_account"}, timeout=90))
    for task in tasks:
        assert task["remark"].startswith("bound ") or "found" in task["remark"]
    ok(run_tasks(hub, {**base, "script_name": "post", "script_config": {
        "captions": "hello matrix", "material_list": ["clip.mp4"], "upload_wait_time": 30}}, timeout=120))
    ok(run_tasks(hub, {**base, "script_name": "follow", "script_config": {
        "target_user": "dancer_42", "access_method": "direct"}}, timeout=90))
    ok(run_tasks(hub, {**base, "script_name": "unfollow", "script_config": {
        "target_user": "dancer_42"}}, timeout=90))
    ok(run_tasks(hub, {**base, "script_name": "follow", "script_config": {
        "target_user": "cat", "access_method": "search"}}, timeout=90))
    ok(run_tasks(hub, {**base, "script_name": "comment", "script_config": {
        "target_post_url": URL, "comment_content": "bravo"}}, timeout=90))
    warm = ok(run_tasks(hub, {**base, "script_name": "account_warmup", "script_config": {
        "task_duration": 3, "min_duration": 0.2, "max_duration": 0.4, "like_probable": 100,
        "floow_probable": 50, "collect_probable": 50, "comment_probable": 0}}, timeout=90))
    for serial, build, task in zip(hub.serials, BUILDS, warm, strict=False):
        sim = hub.sim(serial)
        version = {1: "43.1.4", 2: "44.9.3", 3: "46.2.5"}[build]
        assert any(m.startswith(f"app com.zhiliaoapp.musically {version}") for m in messages(task))
        assert [p["caption"] for p in sim.app_records("post")] == ["hello matrix"]
        assert [(f["kind"], f["username"]) for f in sim.app_records("follow") + sim.app_records("unfollow")
                if f["username"] == "dancer_42"]
        assert [c["text"] for c in sim.app_records("comment")] == ["bravo"]
        assert sim.app_records("like") or "liked 0" in task["remark"], (task["remark"], messages(task))
        assert sim.app_records("watch") and not sim.app_records("photo_taken")


def test_post_traps_pause_shutter_mtime_publish_sheet_and_badge(phone_hub):
    hub = phone_hub(1, phone_settings={"publish_sheet_rate": 1.0, "upload_seconds": (3.0, 3.0)})
    (serial,) = hub.serials
    sim = hub.sim(serial)
    old = media_file(hub, "old.mp4", 7000)
    os.utime(old, (978307200, 978307200))            # 2001: adb push keeps this mtime
    with sim.android.ui_lock:                         # a newer video already on the phone
        sim.ui.media_scan("/sdcard/DCIM/Camera/holiday.mp4", 5000, time.time())
    before = len(sim.command_log)
    (task,) = run_tasks(hub, {"serials": [serial], "script_name": "post", "script_config": {
        "captions": "traps", "material_list": ["old.mp4"], "upload_wait_time": 30}}, timeout=90)
    assert task["status"] == COMPLETED, (task["remark"], messages(task))
    (post,) = sim.app_records("post")
    assert [m["name"] for m in post["media"]] == ["old.mp4"]           # mtime ordering
    assert not sim.app_records("photo_taken")                          # never the shutter
    logs = messages(task)
    assert "the app asked 'Publish video publicly?': answered 'Publish now'" in logs
    assert any(m.startswith("upload: ") and m.endswith("%") for m in logs), logs
    assert any(m.startswith("upload finished after") for m in logs), logs
    assert any(m.startswith("dumps: ") for m in logs)
    commands = sim.command_log[before:]
    assert any("pm grant" in c and "READ_MEDIA_VIDEO" in c for c in commands)
    assert any("touch" in c for c in commands) and any("content call" in c for c in commands)


def test_a_playing_video_is_paused_before_the_dump(phone_hub):
    hub = phone_hub(1, phone_settings={"idle_fail_rate": 1.0})
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "comment", "script_config": {
        "target_post_url": URL, "comment_content": "paused"}}, timeout=60)
    assert task["status"] == COMPLETED, task["remark"]
    assert any("tapping its centre to pause it" in m for m in messages(task))
    summary = [m for m in messages(task) if m.startswith("dumps: ")][-1]
    assert "(0 retried)" not in summary


def test_popups_over_steps_are_dismissed_and_logged(phone_hub):
    hub = phone_hub(1, phone_settings={"popup_rate": 0.5})
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "account_warmup",
                              "script_config": {"task_duration": 4, "min_duration": 0.2,
                                                "max_duration": 0.3}}, timeout=60)
    assert task["status"] == COMPLETED, task["remark"]
    assert any(m.startswith("dismissed the ") for m in messages(task)), messages(task)


def test_the_upload_badge_must_vanish_within_upload_wait_time(phone_hub):
    hub = phone_hub(1, phone_settings={"upload_seconds": (30.0, 30.0), "publish_sheet_rate": 0})
    media_file(hub, "slow.mp4", 3000)
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "post", "script_config": {
        "captions": "slow", "material_list": ["slow.mp4"], "upload_wait_time": 4}}, timeout=60)
    assert task["status"] == FAILED
    assert task["remark"].startswith("step 'wait for the upload' failed: the upload did not "
                                     "finish within 4 s"), task["remark"]


def test_an_unknown_screen_fails_fast_naming_it(phone_hub, monkeypatch):
    hub = phone_hub(1)
    media_file(hub, "u.mp4", 3000)
    # an app update that changed the editor beyond recognition
    monkeypatch.setattr(screens, "is_editor", lambda screen, locale: False)
    monkeypatch.setattr(screens, "_ORDER", tuple((n, screens.is_editor if n == "editor" else t)
                                                 for n, t in screens._ORDER))
    started = time.monotonic()
    (task,) = run_tasks(hub, {"serials": hub.serials, "script_name": "post", "script_config": {
        "captions": "x", "material_list": ["u.mp4"]}}, timeout=60)
    assert task["status"] == FAILED
    assert "unexpected other screen at step" in task["remark"] and "of 'post'" in task["remark"]
    assert task["ui_dump"].startswith("<?xml")
    assert time.monotonic() - started < 40
