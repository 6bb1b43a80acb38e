"""The simulated short-video app driven through `AndroidUi` alone (no adb): every step reads the
uiautomator XML, finds a node by resource-id/text and taps the centre of its bounds, as the
product's scripts do over adb.
"""

from __future__ import annotations

import base64
import random
import re
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest

from appliance.sim.ui import AndroidUi

PKG = "com.zhiliaoapp.musically"
LAUNCH = "com.ss.android.ugc.aweme.splash.SplashActivity"
PERMISSION = "com.android.permissioncontroller"
HOSTILE = "it's \"great\" $HOME; rm -rf / `id` && echo $(whoami) \\n\n2nd line 🎉😀 ünï %s | > <"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Phone:
    """A test driver: find nodes in the dump, tap them, type, read records."""

    def __init__(self, **kw):
        self.clock = Clock()
        kw.setdefault("accounts", ["alice_sim", "bob_sim", "carol_sim"])
        kw.setdefault("popup_rate", 0.0)
        self.ui = AndroidUi(random.Random(7), "sim-0001", clock=self.clock, **kw)

    def nodes(self, rid=None, text=None, desc=None):
        root = ET.fromstring(self.ui.dump_xml().encode("utf-8"))
        found = []
        for node in root.iter("node"):
            if rid and node.get("resource-id") != (rid if ":" in rid else f"{PKG}:id/{rid}"):
                continue
            if text is not None and node.get("text") != text:
                continue
            if desc is not None and node.get("content-desc") != desc:
                continue
            found.append(node)
        return found

    def node(self, rid=None, text=None, desc=None):
        found = self.nodes(rid, text, desc)
        assert found, f"no node rid={rid} text={text} desc={desc} in\n{self.ui.dump_xml()}"
        return found[0]

    def tap(self, rid=None, text=None, desc=None):
        x1, y1, x2, y2 = map(int, re.findall(r"\d+", self.node(rid, text, desc).get("bounds")))
        self.ui.tap((x1 + x2) // 2, (y1 + y2) // 2)

    def launch(self):
        assert self.ui.start_activity(PKG, LAUNCH).startswith("Starting: Intent { cmp=")

    def type_unicode(self, text):
        msg = base64.b64encode(text.encode("utf-8")).decode()
        out = self.ui.broadcast("ADB_INPUT_B64", {"msg": msg})
        assert out.endswith("Broadcast completed: result=0")


@pytest.fixture
def phone():
    return Phone()


def test_starts_on_the_launcher_and_launches_from_its_icon(phone):
    assert PKG in phone.ui.packages() and "com.android.adbkeyboard" in phone.ui.packages()
    assert phone.nodes(text="TikTok")
    phone.tap(text="TikTok")
    assert phone.node("like_button") is not None
    assert phone.ui.records("launch")[0]["cold"] is True
    bad = phone.ui.start_activity(PKG, ".MainActivity")
    assert "Error type 3" in bad and "does not exist" in bad


def test_follow_via_deep_link_then_unfollow_with_confirmation(phone):
    phone.ui.view_intent("https://www.tiktok.com/@some.creator")
    assert phone.node("profile_username").get("text") == "@some.creator"
    phone.tap("profile_follow_button", text="Follow")
    assert phone.node("profile_follow_button").get("text") == "Following"
    phone.tap("profile_follow_button")
    phone.tap("dialog_confirm", text="Unfollow")
    assert phone.node("profile_follow_button").get("text") == "Follow"
    assert [(r["kind"], r["username"], r["account"]) for r in
            phone.ui.records("follow") + phone.ui.records("unfollow")] == [
        ("follow", "some.creator", "alice_sim"), ("unfollow", "some.creator", "alice_sim")]


def test_follow_via_search(phone):
    phone.launch()
    phone.tap("feed_search")
    assert phone.node("search_input").get("focused") == "true"
    phone.ui.input_text("dancer%s42")
    phone.ui.keyevent("KEYCODE_DEL")
    phone.ui.input_text("2")
    assert phone.node("search_input").get("text") == "dancer 42"
    phone.ui.broadcast("ADB_CLEAR_TEXT", {})
    phone.ui.input_text("dancer_42")
    phone.tap("search_button")
    assert phone.node("search_tab_users").get("selected") == "true"
    phone.tap("search_user_name", text="dancer_42")
    phone.tap("profile_follow_button", text="Follow")
    assert phone.ui.records("follow")[0]["username"] == "dancer_42"
    phone.ui.keyevent("4")
    phone.tap("search_tab_videos")
    assert phone.nodes("search_video_item") or phone.nodes("search_empty")


def test_like_and_follow_from_the_feed_and_watch_time(phone):
    phone.launch()
    author = phone.node("author_name").get("text").lstrip("@")
    phone.clock.now += 4.5
    phone.tap("like_button")
    assert phone.node("like_button").get("selected") == "true"
    phone.tap("follow_button")
    assert not phone.nodes("follow_button")
    phone.tap("collect_button")
    assert phone.node("collect_button").get("selected") == "true"
    phone.ui.swipe(540, 1800, 540, 500, 200)
    phone.clock.now += 2
    phone.ui.keyevent("KEYCODE_HOME")
    assert phone.ui.records("like")[0]["author"] == author
    assert phone.ui.records("follow")[0]["via"] == "feed"
    assert phone.ui.records("collect")[0]["author"] == author
    watches = phone.ui.records("watch")
    assert [w["seconds"] for w in watches] == [4.5, 2.0]


def test_comment_with_hostile_text_arrives_byte_for_byte(phone):
    phone.launch()
    phone.tap("comment_button")
    assert phone.node("comment_post").get("enabled") == "false"
    phone.tap("comment_input")
    phone.type_unicode(HOSTILE)
    assert phone.node("comment_input").get("text") == HOSTILE
    phone.tap("comment_post")
    [record] = phone.ui.records("comment")
    assert record["text"] == HOSTILE and record["account"] == "alice_sim"
    assert phone.nodes("comment_text", text=HOSTILE)
    assert phone.node("comment_input").get("text") == "Add comment..."


def _scan(phone, path, size):
    out = phone.ui.broadcast("android.intent.action.MEDIA_SCANNER_SCAN_FILE",
                             {"data": "file://" + path, "size": str(size)})
    assert "dat=file://" in out


def test_post_a_video_then_three_images_with_captions(phone):
    _scan(phone, "/sdcard/DCIM/Camera/clip.mp4", 5_000_000)
    for i in range(3):
        phone.ui.media_scan(f"/sdcard/Pictures/p{i}.jpg", 1000 + i)
    phone.launch()
    phone.tap("nav_create")
    phone.tap("upload_button")
    phone.tap("gallery_tab_videos")
    phone.tap("gallery_item", desc="Video, clip.mp4, 5000000 bytes")
    phone.tap("gallery_next")
    phone.tap("edit_next")
    phone.tap("caption_input")
    phone.type_unicode("first line #fyp\nsecond 'line' $x 🎬")
    phone.tap("post_button")
    assert phone.node("upload_progress").get("text").startswith("Uploading")
    phone.clock.now += 5
    assert phone.node("upload_progress").get("text") == "Your post is published"
    [post] = phone.ui.records("post")
    assert post["caption"] == "first line #fyp\nsecond 'line' $x 🎬"
    assert post["media"] == [{"name": "clip.mp4", "size": 5_000_000, "kind": "video",
                              "path": "/sdcard/DCIM/Camera/clip.mp4"}]
    assert post["status"] == "posted" and post["account"] == "alice_sim"

    phone.tap("nav_create")
    phone.tap("upload_button")
    phone.tap("gallery_tab_photos")
    for name in ("p0.jpg", "p1.jpg", "p2.jpg"):
        phone.tap("gallery_item", desc=f"Photo, {name}, {1000 + int(name[1])} bytes")
    assert phone.node("gallery_next").get("text") == "Next (3)"
    phone.tap("gallery_next")
    phone.tap("edit_next")
    phone.tap("caption_input")
    phone.ui.input_text("three%sphotos")
    phone.ui.keyevent("66")
    phone.ui.input_text("ok")
    phone.tap("post_button")
    images = phone.ui.records("post")[1]
    assert images["caption"] == "three photos\nok" and images["media_type"] == "images"
    assert [(m["name"], m["size"]) for m in images["media"]] == [
        ("p0.jpg", 1000), ("p1.jpg", 1001), ("p2.jpg", 1002)]
    phone.tap("nav_profile")
    assert len(phone.nodes("own_video_item")) == 2


def test_account_switch(phone):
    phone.launch()
    phone.tap("nav_profile")
    assert phone.node("own_username").get("text") == "@alice_sim"
    phone.tap("account_switch")
    assert [n.get("text") for n in phone.nodes("account_name")] == [
        "@alice_sim", "@bob_sim", "@carol_sim"]
    phone.tap("account_name", text="@carol_sim")
    assert phone.node("own_username").get("text") == "@carol_sim"
    [switch] = phone.ui.records("switch_account")
    assert (switch["previous"], switch["account"]) == ("alice_sim", "carol_sim")


def test_popup_blocks_taps_until_not_now(phone):
    phone.launch()
    phone.ui.app.force_popup()
    assert phone.nodes("popup_negative", text="Not now")
    phone.tap("like_button")
    assert not phone.ui.records("like")  # the dialog swallowed the tap
    phone.ui.swipe(540, 1800, 540, 500, 200)
    phone.ui.input_text("ignored")
    phone.tap("popup_negative", text="Not now")
    assert not phone.nodes("popup_container")
    phone.tap("like_button")
    assert phone.ui.records("like")
    assert phone.ui.records("popup")[0]["choice"] == "Not now"


def test_permission_dialog_is_its_own_window_until_answered(phone):
    phone.launch()
    phone.ui.app.force_popup("permission")
    assert {n.get("package") for n in phone.nodes()} == {PERMISSION}
    assert phone.ui.foreground()[0] == PERMISSION
    phone.ui.keyevent("KEYCODE_BACK")  # BACK answers it as a refusal, as on a phone
    assert phone.nodes("like_button")
    phone.ui.app.force_popup("permission")
    phone.tap(f"{PERMISSION}:id/permission_deny_button", text="Don't allow")
    assert [p["choice"] for p in phone.ui.records("popup")] == ["back", "Don't allow"]


def test_cold_start_shows_the_splash_for_its_time():
    phone = Phone(splash_seconds=1.5)
    phone.launch()
    assert not phone.nodes("like_button") and phone.nodes(desc="TikTok")
    phone.ui.tap(980, 1360)
    phone.clock.now += 1.5
    phone.tap("like_button")
    phone.clock.now += 2
    phone.ui.keyevent("KEYCODE_HOME")
    assert len(phone.ui.records("like")) == 1
    assert [w["seconds"] for w in phone.ui.records("watch")] == [2.0]


def test_seeded_popups_come_now_and_then():
    def run():
        p = Phone(popup_rate=0.3)
        p.launch()
        for _ in range(20):
            for rid in ("popup_negative", f"{PERMISSION}:id/permission_deny_button"):
                if p.nodes(rid):
                    p.tap(rid)
            p.ui.swipe(540, 1800, 540, 500, 200)
        return [r["title"] for r in p.ui.records("popup")]

    first = run()
    assert first and first == run()


def test_crash_returns_to_launcher_and_clear_data_logs_out(phone):
    phone.launch()
    phone.ui.crash()
    assert phone.nodes(text="TikTok")
    assert phone.ui.records("crash")[0]["was_running"] is True
    phone.ui.clear_data(PKG)
    phone.launch()
    phone.tap("login_username")
    phone.ui.input_text("dave_sim")
    phone.tap("login_button")
    assert phone.node("like_button") is not None
    phone.tap("nav_profile")
    assert phone.node("own_username").get("text") == "@dave_sim"


def test_deep_link_to_a_video(phone):
    phone.ui.view_intent("https://www.tiktok.com/@maker/video/7300000000000000001?lang=en")
    assert phone.node("author_name").get("text") == "@maker"
    phone.tap("like_button")
    assert phone.ui.records("like")[0]["video_id"] == "7300000000000000001"
    phone.tap("video_back")
    assert phone.node("tab_foryou") is not None


def test_screencap_is_a_real_png_of_the_screen(phone):
    phone.launch()
    png = phone.ui.screencap_png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", png[8:16])
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (kind, width, height, depth) == (b"IHDR", 1080, 2400, 8)
    pos, idat = 8, b""
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + n]
        pos += 12 + n
    bytes_per_pixel = {3: 1, 2: 3, 6: 4}[colour]
    assert len(zlib.decompress(idat)) == height * (1 + width * bytes_per_pixel)
    assert phone.ui.screencap_png() is png  # same screen, cached


def test_typing_follows_input_text_and_adb_keyboard_rules(phone):
    phone.launch()
    phone.tap("feed_search")
    phone.ui.input_text("caf\u00e9%sbar")  # `input text` cannot type non-ASCII: dropped
    phone.ui.keyevent("KEYCODE_SPACE")
    phone.ui.keyevent("29")  # KEYCODE_A
    phone.ui.broadcast("ADB_INPUT_TEXT", {"msg": " caf\u00e9 \U0001f600"})
    assert phone.node("search_input").get("text") == "caf bar a caf\u00e9 \U0001f600"
    phone.ui.keyevent("KEYCODE_ENTER")
    assert phone.node("search_input").get("focused") == "false"
    phone.ui.input_text("lost")  # nothing has focus after the search
    assert phone.node("search_input").get("text") == "caf bar a caf\u00e9 \U0001f600"


def test_back_and_home_move_between_windows(phone):
    phone.launch()
    phone.tap("comment_button")
    phone.ui.keyevent("KEYCODE_BACK")
    assert not phone.nodes("comment_panel") and phone.nodes("tab_foryou")
    phone.ui.keyevent("KEYCODE_BACK")
    assert phone.nodes(text="TikTok")  # back from the feed leaves the app
    phone.ui.start_activity(PKG, LAUNCH)
    assert phone.ui.records("launch")[-1]["cold"] is False
    out = phone.ui.view_intent("https://example.com/page")
    assert out.startswith("Starting: Intent { act=android.intent.action.VIEW")
    assert phone.ui.foreground()[0] == "com.android.chrome"
    phone.ui.keyevent("3")
    assert phone.nodes(text="TikTok")


def _documented_ids() -> set[str]:
    """The resource ids named in the screen table of ui.py's docstring (for the selectors file)."""
    import appliance.sim.ui as ui_module

    table = [line for line in ui_module.__doc__.splitlines() if line.startswith("| ")][1:]
    ids = set()
    for name in re.findall(r"`([a-z_{},]+)`", "\n".join(table)):
        head, _, rest = name.partition("{")
        if rest:
            options, _, tail = rest.partition("}")
            ids.update(head + option + tail for option in options.split(","))
        else:
            ids.add(name)
    return ids


def test_the_docstring_table_names_every_resource_id_and_only_those(phone):
    seen = set()

    def look():
        for node in phone.nodes():
            rid = node.get("resource-id")
            if rid:
                seen.add(rid.split(":id/", 1)[1])

    ui = phone.ui
    look()                                          # launcher
    phone.ui.media_scan("/sdcard/DCIM/a.mp4", 10)
    phone.launch(); look()                          # feed
    ui.app.force_popup(); look(); phone.tap("popup_negative")
    ui.app.force_popup("permission"); look(); phone.tap(f"{PERMISSION}:id/permission_deny_button")
    phone.tap("comment_button"); look(); ui.keyevent("4")
    phone.tap("share_button"); look(); phone.tap("share_cancel")
    phone.tap("feed_search"); ui.input_text("cat"); ui.keyevent("66"); look()
    phone.tap("search_tab_videos"); look()
    phone.tap("search_video_item"); look(); ui.keyevent("4")
    ui.broadcast("ADB_CLEAR_TEXT", {}); phone.tap("search_input"); ui.input_text("zz zz")
    phone.tap("search_button"); look(); ui.keyevent("4")
    ui.view_intent("https://www.tiktok.com/@someone"); phone.tap("profile_follow_button")
    phone.tap("profile_follow_button"); look(); phone.tap("dialog_cancel"); ui.keyevent("4")
    phone.tap("nav_profile"); phone.tap("account_switch"); look()
    phone.tap("add_account"); look(); ui.keyevent("4")
    for tab in ("nav_friends", "nav_inbox"):
        phone.tap(tab); look()
    phone.tap("nav_create"); look(); phone.tap("upload_button"); look()
    phone.tap("gallery_tab_photos"); look(); phone.tap("gallery_tab_all")
    phone.tap("gallery_item"); phone.tap("gallery_next"); look()
    phone.tap("edit_next"); look(); phone.tap("post_button"); look()
    phone.tap("nav_profile"); look()
    documented = _documented_ids()
    assert sorted(seen - documented) == [], "on screen but not in ui.py's table"
    assert sorted(documented - seen) == [], "in ui.py's table but never on screen"


def test_many_threads_drive_one_phone_without_tearing(phone):
    import threading

    phone.launch()
    errors = []

    def worker(n):
        try:
            for i in range(60):
                [lambda: phone.ui.tap(980, 1360), lambda: phone.ui.swipe(540, 1800, 540, 500, 100),
                 lambda: ET.fromstring(phone.ui.dump_xml().encode()), phone.ui.screencap_png,
                 lambda: phone.ui.keyevent("4"), lambda: phone.ui.start_activity(PKG, LAUNCH),
                 lambda: phone.ui.records("like")][(i + n) % 7]()
        except Exception as exc:  # noqa: BLE001 - any exception is the failure being tested
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
