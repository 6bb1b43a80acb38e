"""The simulated short-video app driven through `AndroidUi` alone (no adb): every step reads the
uiautomator XML and finds a node the way a real script must, by desc/text/class/position (never
by an obfuscated resource id), then taps the centre of its bounds. The surface is the one of
docs/APP-SURFACE.md.
"""

from __future__ import annotations

import base64
import random
import re
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest

from appliance.sim.app import ids as app_ids
from appliance.sim.ui import AndroidUi

PKG = "com.zhiliaoapp.musically"
LAUNCH = "com.ss.android.ugc.aweme.splash.SplashActivity"
PERMISSION = "com.android.permissioncontroller"
SEMANTIC = {"long_press_layout", "player_view", "title", "desc", "cover", "view_rootview"}
OBFUSCATED = re.compile(r"[a-z][a-z0-9_]{1,2}")
OLD_IDS = {  # the invented ids of the previous simulator: no real build ever had them
    "like_button", "feed_root", "gallery_item", "caption_input", "own_username", "feed_video",
    "action_rail", "author_avatar", "follow_button", "collect_button", "share_button",
    "author_name", "video_desc", "tab_foryou", "tab_following", "upload_progress",
    "bottom_tabs", "comment_panel", "comment_post", "comment_author", "share_panel",
    "search_button", "search_user_item", "search_video_item", "profile_follow_button",
    "profile_username", "own_profile_root", "account_switch", "account_item", "account_name",
    "create_root", "record_button", "upload_button", "gallery_check", "edit_next",
    "post_button", "drafts_button", "popup_container", "popup_negative_button", "login_root",
    "video_back", "dialog_confirm", "switch_account_panel", "gallery_root_old"}
HOSTILE = "it's \"great\" $HOME; rm -rf / `id` && echo $(whoami) \\n\n2nd line 🎉😀 ünï %s | > <"
PLACEHOLDER = "Writing a long description can help get 3x more views on average."


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def box(node) -> tuple[int, int, int, int]:
    return tuple(map(int, re.findall(r"-?\d+", node.get("bounds"))))


class Phone:
    """A test driver that sees what a script sees: the dump, and nothing but the dump."""

    def __init__(self, seed=7, **kw):
        self.clock = Clock()
        kw.setdefault("accounts", ["alice_sim", "bob_sim", "carol_sim"])
        kw.setdefault("popup_rate", 0.0)
        kw.setdefault("ad_rate", 0.0)
        kw.setdefault("live_rate", 0.0)
        self.ui = AndroidUi(random.Random(seed), "sim-0001", clock=self.clock, **kw)

    def root(self):
        return ET.fromstring(self.ui.dump_xml().encode("utf-8"))

    def nodes(self, text=None, desc=None, cls=None, text_start=None, desc_start=None):
        found = []
        for node in self.root().iter("node"):
            if text is not None and node.get("text") != text:
                continue
            if desc is not None and node.get("content-desc") != desc:
                continue
            if cls is not None and node.get("class").rsplit(".", 1)[-1] != cls:
                continue
            if text_start is not None and not node.get("text").startswith(text_start):
                continue
            if desc_start is not None and not node.get("content-desc").startswith(desc_start):
                continue
            found.append(node)
        return found

    def node(self, **kw):
        found = self.nodes(**kw)
        assert found, f"no node {kw} in\n{self.ui.dump_xml()}"
        return found[0]

    def tap_node(self, node):
        x1, y1, x2, y2 = box(node)
        self.ui.tap((x1 + x2) // 2, (y1 + y2) // 2)

    def tap(self, **kw):
        self.tap_node(self.node(**kw))

    def texts(self):
        return {n.get("text") for n in self.root().iter("node")} - {""}

    def descs(self):
        return {n.get("content-desc") for n in self.root().iter("node")} - {""}

    def local_ids(self):
        return {n.get("resource-id").split(":id/", 1)[1] for n in self.root().iter("node")
                if ":id/" in n.get("resource-id")}

    def launch(self):
        assert self.ui.start_activity(self.ui.package, LAUNCH).startswith("Starting: Intent")

    def type_unicode(self, text):
        msg = base64.b64encode(text.encode("utf-8")).decode()
        assert self.ui.broadcast("ADB_INPUT_B64", {"msg": msg}).endswith("result=0")

    def pause(self):
        self.ui.tap(540, 800)  # the video's centre area, on no control

    def back(self):
        self.ui.keyevent("KEYCODE_BACK")

    # -- flows a script would write -------------------------------------------------------
    def open_gallery(self):
        if not self.nodes(desc="@2131888184"):  # not on the camera yet
            self.tap(desc="Create")
        entry = [n for n in self.nodes(cls="FrameLayout") if box(n) == (0, 2081, 210, 2239)]
        assert entry and entry[0].get("clickable") == "true" and not entry[0].get("text")
        self.tap_node(entry[0])

    def tiles(self):
        return sorted((n for n in self.nodes(cls="FrameLayout")
                       if n.get("clickable") == "true" and not n.get("resource-id")
                       and not n.get("text") and not n.get("content-desc")
                       and box(n)[1] >= 340 and box(n)[3] - box(n)[1] == 354),
                      key=lambda n: (box(n)[1], box(n)[0]))

    def editor_next_until_caption(self):
        for _ in range(20):
            if self.nodes(cls="EditText"):
                return
            self.tap(text="Next", cls="Button")
        raise AssertionError("the editor's Next never went through")

    def post_first_tile(self, caption="hello"):
        self.open_gallery()
        self.tap_node(self.tiles()[0])
        self.tap(text="Next", cls="Button")
        self.editor_next_until_caption()
        self.tap_node(self.nodes(cls="EditText")[0])
        self.type_unicode(caption)
        self.back()  # hide the keyboard that covers Post
        self.tap(text="Post", cls="Button")
        if self.nodes(text="Publish now"):
            self.tap(text="Publish now")
        return self.ui.records("post")[-1]


@pytest.fixture
def phone():
    return Phone()


def test_launches_from_the_launcher_onto_the_feed(phone):
    assert PKG in phone.ui.packages() and phone.ui.version_name == "43.1.4"
    phone.tap(text="TikTok")
    assert phone.ui.foreground() == (PKG, "com.ss.android.ugc.aweme.main.MainActivity")
    assert phone.nodes(desc="Video", cls="View")


def test_feed_surface_in_english(phone):
    phone.launch()
    root = phone.root()
    assert "view_rootview" in phone.local_ids() and "player_view" in phone.local_ids()
    tabs = [n for n in root.iter("node") if n.get("content-desc") in ("For You", "Following",
                                                                      "Explore", "LIVE")]
    assert [t.get("content-desc") for t in tabs] == ["For You", "Following", "Explore", "LIVE"]
    assert tabs[0].get("selected") == "true" and all(t.get("class").endswith("FrameLayout")
                                                    for t in tabs)
    assert all(t[0].get("resource-id") == "android:id/text1" for t in tabs)
    assert box(phone.node(desc="Search", cls="ImageView")) == (960, 110, 1060, 210)
    video = phone.node(desc="Video")
    assert video.get("resource-id").endswith(":id/long_press_layout")
    assert box(video) == (0, 0, 1080, 2220)
    like = phone.node(desc_start="Like video. ")
    assert re.fullmatch(r"Like video\. [\d,.]+K? likes", like.get("content-desc"))
    assert like.get("class").endswith("Button") and box(like) == (940, 1300, 1060, 1480)
    assert like[0].get("content-desc") == "Like"
    assert re.fullmatch(r"Read or add comments\. [\d,.K]+ comments",
                        phone.node(desc_start="Read or add").get("content-desc"))
    assert phone.nodes(desc="Add or remove this video from Favorites.", cls="Button")
    assert re.fullmatch(r"Share video\. [\d,.K]+ shares",
                        phone.node(desc_start="Share video").get("content-desc"))
    # the author's name: the Button with the fixed id `title`
    author = next(n for n in phone.nodes(cls="Button") if n.get("resource-id").endswith(":id/title"))
    name = author.get("text")
    assert box(author) == (40, 1860, 800, 1930)
    assert phone.nodes(desc=f"{name} profile") and phone.nodes(desc=f"Follow {name}")
    assert phone.nodes(desc=f"Sound: original sound - {name} by {name}")
    caption = [n for n in root.iter("node") if n.get("resource-id").endswith(":id/desc")]
    assert caption and caption[0].get("text")
    nav = {d: phone.node(desc=d) for d in ("Home", "Friends", "Create", "Inbox", "Profile")}
    assert nav["Home"].get("selected") == "true"
    assert nav["Create"].get("class").endswith("Button") and not nav["Create"].get("text")
    assert [n.get("content-desc") for n in phone.nodes(cls="Button") if box(n)[1] >= 2220] == [
        "Create"]
    for d in ("Home", "Friends", "Inbox", "Profile"):
        assert nav[d].get("class").endswith("FrameLayout")
        assert nav[d][0].get("text") == d and box(nav[d][0]) == (0, 0, 0, 0)
    assert not phone.nodes(text="Ad") and not phone.nodes(text="LIVE", cls="TextView")[1:]


def test_feed_surface_in_french_with_french_numbers():
    phone = Phone(locale="fr")
    phone.launch()
    descs = phone.descs()
    assert {"Pour toi", "Abonnements", "Explorer", "Rechercher", "Vidéo", "Accueil", "Amis",
            "Créer", "Boîte de réception", "Profil",
            "Ajoute ou supprime cette vidéo de tes Favoris."} <= descs
    like = phone.node(desc_start="Attribuer un J'aime à la vidéo. ").get("content-desc")
    assert like.endswith(" J'aime")
    assert phone.node(desc_start="Lire ou ajouter des commentaires. ").get(
        "content-desc").endswith(" commentaires")
    assert phone.node(desc_start="Partager la vidéo. ").get("content-desc").endswith(" partages")
    assert phone.nodes(desc_start="Son : son original - ") and phone.nodes(desc_start="Suivre ")
    assert phone.nodes(desc_start="Profil de ")
    numbers = re.findall(r"vidéo\. (.*) J'aime", like)[0]
    assert re.fullmatch(r"\d{1,3}(\u00a0\d{3})?|\d+(,\d)?\u00a0[kM]", numbers)


def test_number_formats():
    from appliance.sim.app.strings import count
    assert [count(n) for n in (0, 334, 4926, 169_200, 10_000, 3_400_000)] == [
        "0", "334", "4,926", "169.2K", "10K", "3.4M"]
    assert [count(n, "fr") for n in (4926, 169_200, 3_400_000)] == [
        "4\u00a0926", "169,2\u00a0k", "3,4\u00a0M"]


def test_ids_are_obfuscated_per_build_and_never_the_old_invented_ones():
    seen = {}
    for build in (1, 2, 3):
        phone = Phone(app_build=build)
        phone.launch()
        assert phone.ui.version_name == {1: "43.1.4", 2: "44.9.3", 3: "46.2.5"}[build]
        local = phone.local_ids() - {"text1"}
        obfuscated = local - SEMANTIC
        assert SEMANTIC - {"cover"} <= local
        assert all(OBFUSCATED.fullmatch(i) for i in obfuscated), obfuscated
        assert not local & OLD_IDS
        nav = [phone.node(desc=d).get("resource-id").split(":id/")[1]
               for d in ("Home", "Friends", "Create", "Inbox", "Profile")]
        assert len({n[:2] for n in nav}) == 1 and len(set(nav)) == 5
        assert "".join(sorted(n[2] for n in nav)) in "abcdefghijklmnopqrstuvwxyz"
        like = phone.node(desc_start="Like video.").get("resource-id")
        assert like == phone.node(desc_start="Share video.").get("resource-id")
        seen[build] = (nav, like)
    assert len({tuple(v[0]) for v in seen.values()}) == 3
    assert len({v[1] for v in seen.values()}) == 3
    assert app_ids.table(4) and app_ids.version_name(4).startswith("4")


def test_an_id_of_one_build_names_another_control_in_the_next():
    for build in (2, 3, 4):
        moved = app_ids.reused(build)
        assert moved, build
        rid, old_key, new_key = moved[0]
        assert app_ids.table(build - 1)[old_key] == rid == app_ids.table(build)[new_key]
        assert old_key != new_key


def test_the_trill_package_carries_its_ids():
    trill = "com.ss.android.ugc.trill"
    phone = Phone(package=trill)
    assert trill in phone.ui.packages() and PKG not in phone.ui.packages()
    phone.tap(text="TikTok")
    assert phone.ui.foreground()[0] == trill
    assert phone.node(desc="Video").get("resource-id") == f"{trill}:id/long_press_layout"
    assert {n.get("package") for n in phone.root().iter("node")} == {trill}


def test_video_playing_pause_and_dump_friendly_states(phone):
    assert not phone.ui.video_playing()
    phone.launch()
    assert phone.ui.video_playing()
    phone.pause()
    assert not phone.ui.video_playing()
    icon = [n for n in phone.nodes(cls="ImageView") if not n.get("content-desc")
            and box(n) == (440, 1000, 640, 1200)]
    assert icon
    assert phone.ui.records("pause")
    phone.ui.swipe(540, 1800, 540, 500, 200)
    assert phone.ui.video_playing()  # another video plays
    phone.tap(desc_start="Read or add comments")
    assert not phone.ui.video_playing()
    phone.back()
    assert phone.ui.video_playing()
    phone.ui.force_popup("gdpr")
    assert not phone.ui.video_playing()
    phone.tap(text="Got it")
    phone.ui.keyevent("KEYCODE_HOME")
    assert not phone.ui.video_playing()


def test_comment_flow_with_the_unlabelled_send_button(phone):
    phone.launch()
    phone.pause()
    phone.tap(desc_start="Read or add comments")
    title = phone.node(text_start="\u200e")
    assert re.fullmatch(r"\u200e[\d,.K]+ comments", title.get("text"))
    assert phone.nodes(desc="Video")  # the video stays below the sheet
    field = phone.node(cls="EditText")
    assert field.get("text") == "Add comment..." and box(field) == (40, 2250, 700, 2370)
    assert phone.nodes(desc="Mention someone") and phone.nodes(desc="Stickers")
    assert not phone.nodes(desc="@2131888096")
    assert phone.nodes(text="Reply") and phone.nodes(desc="Close")
    phone.tap_node(field)
    assert phone.ui.keyboard_shown() and not phone.ui.video_playing()
    phone.type_unicode(HOSTILE)
    row = [n for n in phone.root().iter("node") if n.get("clickable") == "true"
           and 2250 <= (box(n)[1] + box(n)[3]) // 2 <= 2370]
    send = max(row, key=lambda n: box(n)[0])
    assert send.get("content-desc") == "@2131888096"
    phone.tap_node(send)  # not covered: the keyboard covers only the caption screen
    (record,) = phone.ui.records("comment")
    assert record["text"] == HOSTILE and record["account"] == "alice_sim"
    assert phone.node(cls="EditText").get("text") == "Add comment..."
    listed = [n for n in phone.nodes(cls="TextView") if box(n)[0] == 140 and box(n)[1] > 900]
    assert HOSTILE in [n.get("text") for n in listed[:3]]
    phone.ui.tap(540, 400)  # above the sheet: closes it
    assert not phone.nodes(text_start="\u200e")


def test_like_favourite_follow_from_the_rail_and_watch_time(phone):
    phone.launch()
    phone.tap(desc_start="Like video.")
    assert phone.node(desc_start="Like video.").get("selected") == "true"
    phone.tap(desc="Add or remove this video from Favorites.")
    phone.tap(desc_start="Follow ")
    assert not phone.nodes(desc_start="Follow ")
    phone.clock.now += 4
    phone.ui.swipe(540, 1800, 540, 500, 200)
    like, collect, follow = (phone.ui.records(k)[0] for k in ("like", "collect", "follow"))
    assert like["author"] == collect["author"] == follow["username"]
    assert phone.ui.records("watch")[0]["seconds"] == 4.0


def test_post_flow_from_the_gallery_entry_with_the_publish_sheet():
    phone = Phone(publish_sheet_rate=1.0, upload_seconds=(20, 40))
    assert phone.ui.grant("android.permission.READ_MEDIA_VIDEO")
    phone.ui.media_scan("/sdcard/DCIM/Camera/old.mp4", 111, 1000.0)
    phone.ui.media_scan("/sdcard/DCIM/Camera/new.mp4", 222, 2000.0)
    phone.launch()
    phone.open_gallery()
    assert phone.nodes(desc="@2131888184")  # the camera is still below in the dump
    assert {"All", "Videos", "Photos", "AI gallery"} <= phone.descs()
    assert {"Recents", "Select multiple"} <= phone.texts()
    nxt = phone.node(text="Next", cls="Button")
    assert nxt.get("enabled") == "false" and box(nxt) == (760, 2260, 1060, 2370)
    tiles = phone.tiles()
    assert len(tiles) == 2 and box(tiles[0])[:2] == (3, 343)
    assert re.fullmatch(r"\d\d:\d\d", tiles[0][1].get("text"))
    phone.tap_node(tiles[0])
    select = phone.tiles()[0][-1]
    assert select.get("checked") == "true" and select.get("text") == "1"
    assert phone.node(text="Next", cls="Button").get("enabled") == "true"
    phone.tap(text="Next", cls="Button")
    assert {"Back", "Text", "Stickers", "Effects", "Filters"} <= phone.descs()
    assert phone.nodes(text="Your Story")
    phone.editor_next_until_caption()
    field = phone.nodes(cls="EditText")[0]
    assert field.get("text") == PLACEHOLDER and box(field) == (40, 220, 760, 620)
    assert phone.nodes(cls="EditText")[1].get("text") == "Add a catchy title"
    assert {"Cover", "# Hashtags", "Mention", "AI rewrite", "Location", "More options",
            "Drafts", "Post"} <= phone.texts()
    assert phone.nodes(desc="Everyone can view this post", cls="Button")
    phone.tap_node(field)
    assert phone.ui.keyboard_shown()
    phone.type_unicode(HOSTILE)
    phone.tap(text="Post")
    assert not phone.ui.records("post") and phone.nodes(text="Drafts")  # under the keyboard
    phone.back()
    assert not phone.ui.keyboard_shown() and phone.nodes(text="Post")
    phone.tap(text="Post")
    assert phone.nodes(text="Publish video publicly?") and phone.nodes(text="Drafts")
    phone.tap(text="Publish now")
    (post,) = phone.ui.records("post")
    assert post["caption"] == HOSTILE and post["status"] == "uploading"
    assert post["media"] == [{"name": "new.mp4", "size": 222, "kind": "video",
                              "path": "/sdcard/DCIM/Camera/new.mp4"}]
    assert 20 <= post["done_at"] - post["started"] <= 40
    phone.clock.now += 10
    badge = [n for n in phone.nodes(cls="TextView") if re.fullmatch(r"\d+%", n.get("text"))]
    assert badge and box(badge[0]) == (40, 220, 200, 300)
    phone.clock.now += 40
    assert not [n for n in phone.nodes(cls="TextView") if n.get("text").endswith("%")]
    assert phone.ui.records("post")[0]["status"] == "posted"
    assert not any("publish" in t.lower() for t in phone.texts())


def test_the_editor_next_is_sometimes_ignored_and_post_without_sheet():
    phone = Phone(publish_sheet_rate=0.0, next_ignore_rate=0.5)
    phone.ui.grant("android.permission.READ_MEDIA_IMAGES")
    phone.ui.media_scan("/sdcard/Pictures/a.jpg", 5, 10.0)
    phone.ui.media_scan("/sdcard/Pictures/b.jpg", 6, 10.0)
    phone.launch()
    phone.open_gallery()
    for tile in phone.tiles():
        phone.tap_node(tile)
    assert [t[-1].get("text") for t in phone.tiles()] == ["1", "2"]
    phone.tap(text="Next", cls="Button")
    taps = 0
    while not phone.nodes(cls="EditText"):
        phone.tap(text="Next", cls="Button")
        taps += 1
    phone.tap(text="Post")
    post = phone.ui.records("post")[-1]
    assert post["media_type"] == "images" and [m["name"] for m in post["media"]] == ["b.jpg",
                                                                                      "a.jpg"]


def test_the_shutter_takes_a_photo_instead_of_opening_the_gallery(phone):
    phone.launch()
    phone.tap(desc="Create")
    assert {"Flip", "Speed", "Filters", "Timer", "Close"} <= phone.descs()
    assert {"Add sound", "10m", "60s", "15s", "PHOTO", "TEXT", "POST", "CREATE"} <= phone.texts()
    phone.tap(desc="@2131888184")
    assert len(phone.ui.records("photo_taken")) == 1
    assert phone.nodes(text="Your Story") and not phone.ui.records("post")
    assert phone.ui.foreground()[1].endswith("VEVideoPublishEditActivity")


def test_gallery_order_is_by_mtime_at_scan_then_last_scanned():
    phone = Phone(publish_sheet_rate=0.0, next_ignore_rate=0.0)
    phone.ui.grant("android.permission.READ_MEDIA_VIDEO")
    phone.ui.media_scan("/sdcard/DCIM/a.mp4", 1, 500.0)
    phone.ui.media_scan("/sdcard/DCIM/b.mp4", 2, 100.0)  # pushed with an old mtime: sorts last
    phone.launch()
    assert phone.post_first_tile()["media"][0]["name"] == "a.mp4"
    phone.ui.media_scan("/sdcard/DCIM/c.mp4", 3, 500.0)  # a tie: the last scanned comes first
    assert phone.post_first_tile()["media"][0]["name"] == "c.mp4"
    phone.ui.media_scan("/sdcard/DCIM/b.mp4", 2, 900.0)  # touched and re-scanned
    assert phone.post_first_tile()["media"][0]["name"] == "b.mp4"
    phone.ui.media_remove("/sdcard/DCIM/b.mp4")
    phone.ui.media_scan("/sdcard/DCIM/notes.txt", 3, 999.0)  # not media: ignored
    assert phone.post_first_tile()["media"][0]["name"] == "c.mp4"


def test_media_permission_controller_on_android_13():
    phone = Phone()
    phone.ui.media_scan("/sdcard/DCIM/a.mp4", 1, 500.0)
    phone.launch()
    phone.open_gallery()
    assert phone.ui.foreground()[0] == PERMISSION
    assert {n.get("package") for n in phone.root().iter("node")} == {PERMISSION}
    assert phone.node(text="Allow TikTok to access photos and videos on this device?").get(
        "resource-id") == f"{PERMISSION}:id/permission_message"
    assert not phone.nodes(text="Select photos and videos")  # Android 14 only
    deny = phone.node(text="Don\u2019t allow")
    assert deny.get("resource-id") == f"{PERMISSION}:id/permission_deny_button"
    phone.tap_node(deny)
    assert phone.nodes(text="Allow access to your photos and videos") and not phone.tiles()
    phone.back()
    phone.open_gallery()
    phone.tap(text="Allow")
    assert len(phone.tiles()) == 1 and phone.ui.granted >= {
        "android.permission.READ_MEDIA_VIDEO", "android.permission.READ_MEDIA_IMAGES"}

    granted = Phone()
    assert granted.ui.grant("android.permission.READ_MEDIA_VIDEO")
    assert not granted.ui.grant("android.permission.NOT_A_THING")
    granted.ui.media_scan("/sdcard/DCIM/a.mp4", 1, 500.0)
    granted.launch()
    granted.open_gallery()
    assert granted.ui.foreground()[0] == PKG and len(granted.tiles()) == 1

    android14 = Phone(sdk=34)
    android14.launch()
    android14.open_gallery()
    android14.tap(text="Select photos and videos")
    assert android14.ui.foreground()[0] == PKG
    old = Phone(sdk=30)
    assert "android.permission.READ_EXTERNAL_STORAGE" in old.ui.granted
    assert not old.ui.grant("android.permission.READ_MEDIA_VIDEO")  # unknown before 13
    old.launch()
    old.open_gallery()
    assert old.ui.foreground()[0] == PKG


def test_account_switch_through_the_header_with_a_loading_screen():
    phone = Phone(switch_seconds=5.0)
    phone.launch()
    phone.tap(desc="Profile")
    header = phone.node(text="alice_sim")
    x1, _y1, x2, y2 = box(header)
    assert y2 <= 250 and x1 >= 300 and x2 <= 780
    assert phone.nodes(text="@alice_sim") and phone.nodes(desc="Profile menu")
    assert {"Following", "Followers", "Likes", "Edit profile"} <= phone.texts()
    assert {"Videos", "Reposted videos", "Liked videos"} <= phone.descs()
    phone.tap_node(header)
    assert phone.nodes(text="Switch account") and phone.nodes(text="Add account")
    assert phone.nodes(text="@alice_sim")  # the profile stays below the sheet
    root = phone.root()
    rows = {n.get("text"): n for n in root.iter("node") if n.get("class").endswith("TextView")
            and n.get("text") in ("alice_sim", "bob_sim", "carol_sim") and box(n)[1] > 1300}
    assert set(rows) == {"alice_sim", "bob_sim", "carol_sim"}
    parent = {c: p for p in root.iter("node") for c in p}
    assert parent[rows["alice_sim"]].get("selected") == "true"
    phone.tap_node(rows["bob_sim"])
    assert phone.nodes(cls="ProgressBar") and not phone.nodes(text="Switch account")
    phone.clock.now += 5
    assert phone.nodes(text="bob_sim") and phone.nodes(text="@bob_sim")
    (switch,) = phone.ui.records("switch_account")
    assert (switch["account"], switch["previous"]) == ("bob_sim", "alice_sim")


def test_the_body_handle_only_copies(phone):
    phone.launch()
    phone.tap(desc="Profile")
    phone.tap(text="@alice_sim")
    assert not phone.nodes(text="Switch account")
    assert phone.ui.records("copy_handle")[0]["text"] == "@alice_sim"


def _open_profile(phone, username):
    phone.ui.view_intent(f"https://www.tiktok.com/@{username}")
    assert phone.ui.foreground()[1].endswith("UserProfileActivity")


def test_follow_and_unfollow_on_a_profile(phone):
    phone.launch()
    world = phone.ui.app.world
    back = next(f"fan{i}" for i in range(100) if world.follows_back(f"fan{i}"))
    plain = next(f"fan{i}" for i in range(100) if not world.follows_back(f"fan{i}"))
    _open_profile(phone, plain)
    assert phone.nodes(text=f"@{plain}") and phone.nodes(desc="Back")
    phone.tap(text="Follow", cls="Button")
    following = phone.node(text="Following", cls="Button")
    message = phone.node(text="Message", cls="Button")
    assert following.get("resource-id") == message.get("resource-id")
    phone.tap_node(following)
    assert phone.nodes(text="Cancel")
    phone.tap(text="Unfollow")
    assert phone.nodes(text="Follow", cls="Button")
    phone.back()
    _open_profile(phone, back)
    phone.tap(text="Follow", cls="Button")
    assert phone.nodes(text="Friends", cls="Button")
    assert [r["username"] for r in phone.ui.records("follow")] == [plain, back]
    assert [r["username"] for r in phone.ui.records("unfollow")] == [plain]
    assert sum(world.follows_back(f"u{i}") for i in range(500)) in range(60, 140)


def test_search_users_and_videos(phone):
    phone.launch()
    phone.tap(desc="Search")
    field = phone.node(cls="EditText")
    assert field.get("text") == "Search" and field.get("focused") == "true"
    assert phone.ui.keyboard_shown()
    phone.ui.input_text("dancer_42")
    assert phone.nodes(desc="Clear search field")
    phone.ui.keyevent("KEYCODE_ENTER")
    assert not phone.ui.keyboard_shown()
    assert phone.node(text="Top").get("selected") == "true"
    assert {"Users", "Videos", "Sounds", "LIVE", "Hashtags"} <= phone.texts()
    phone.tap(text="@dancer_42")
    assert phone.ui.foreground()[1].endswith("UserProfileActivity")
    phone.back()
    phone.tap(text="Videos")
    tile = [n for n in phone.nodes(cls="FrameLayout") if n.get("clickable") == "true"
            and box(n)[1] >= 360]
    if tile:
        phone.tap_node(tile[0])
        assert phone.nodes(desc="Back") and phone.nodes(desc="Video")
        assert not phone.nodes(desc="Home")
        phone.back()
    phone.tap(desc="Clear search field")
    phone.ui.input_text("zz%szz")
    phone.tap(text="Search", cls="TextView")
    phone.tap(text="Videos")
    assert phone.nodes(text="No results found")


def test_search_follow_button_on_a_user_row(phone):
    phone.launch()
    phone.tap(desc="Search")
    phone.type_unicode("found.one")
    phone.ui.broadcast("ADB_EDITOR_CODE", {"code": "3"})
    phone.tap(text="Users")
    handle = phone.node(text="@found.one")
    follow = [n for n in phone.nodes(text="Follow", cls="Button")
              if box(n)[1] < box(handle)[3] and box(n)[3] > box(handle)[1]]
    phone.tap_node(follow[0])
    assert phone.ui.records("follow")[0]["username"] == "found.one"


@pytest.mark.parametrize("style,marker,button,choice", [
    ("contacts", "Sync your contacts to find friends", "Don\u2019t allow", "Don\u2019t allow"),
    ("gdpr", None, "Got it", "Got it"),
    ("follow_friends", "Follow your friends", None, "Close"),
    ("collections", "Create shared collections", "Not now", "Not now"),
])
def test_in_app_popups_lie_over_the_screen(phone, style, marker, button, choice):
    phone.launch()
    phone.ui.force_popup(style)
    if marker:
        assert phone.nodes(text=marker)
    else:
        assert [t for t in phone.texts() if "transfers of EEA User Data to China" in t]
    assert phone.nodes(desc="Video") and phone.nodes(desc="Home")  # the feed stays below
    if style == "contacts":
        assert phone.nodes(desc="Dialog", cls="FrameLayout") and phone.nodes(text="OK")
    phone.tap(desc="Search")  # swallowed by the scrim
    assert phone.ui.foreground()[1].endswith("MainActivity")
    if button:
        phone.tap(text=button)
    else:
        phone.tap(desc="Close")
    assert phone.ui.records("popup")[-1]["choice"] == choice and phone.ui.video_playing()


def test_notification_permission_is_its_own_window(phone):
    phone.launch()
    phone.ui.force_popup("permission")
    assert phone.ui.foreground()[0] == PERMISSION
    assert not phone.nodes(desc="Video")
    assert phone.nodes(text="Allow TikTok to send you notifications?")
    phone.tap(text="Allow")
    assert "android.permission.POST_NOTIFICATIONS" in phone.ui.granted
    phone.ui.force_popup("dialog")
    assert phone.ui.records("popup")[-1]["style"] in ("contacts", "gdpr", "follow_friends",
                                                     "collections")
    phone.back()
    assert phone.ui.records("popup")[-1]["choice"] == "back"


def test_seeded_popups_come_now_and_then():
    def run():
        p = Phone(popup_rate=0.3)
        p.launch()
        for _ in range(20):
            for label in ("Not now", "Got it", "OK", "Don\u2019t allow"):
                if p.nodes(text=label):
                    p.tap(text=label)
                    break
            else:
                if p.nodes(desc="Close", cls="ImageView"):
                    p.tap(desc="Close", cls="ImageView")
            p.ui.swipe(540, 1800, 540, 500, 200)
        return [r["style"] for r in p.ui.records("popup")]

    first = run()
    assert first and first == run()


def test_ads_and_live_items():
    phone = Phone(ad_rate=1.0)
    phone.launch()
    ad = phone.node(text="Ad")
    assert box(ad) == (40, 1800, 120, 1850) and phone.nodes(text="Learn more", cls="Button")
    assert phone.nodes(desc_start="Like video")
    slot = [n for n in phone.nodes(cls="FrameLayout") if box(n) == (40, 1800, 600, 2210)]
    plain = Phone()
    plain.launch()
    plain_slot = [n for n in plain.nodes(cls="FrameLayout") if box(n) == (40, 1800, 600, 2210)]
    assert slot and plain_slot and not plain.nodes(text="Ad")  # the ad slot is on every video

    live = Phone(live_rate=1.0)
    live.launch()
    assert live.node(desc="LIVE", cls="View").get("resource-id").endswith(":id/long_press_layout")
    assert [n for n in live.nodes(text="LIVE", cls="TextView") if box(n) == (40, 220, 200, 290)]
    assert not live.nodes(desc_start="Like video") and not live.nodes(desc_start="Share video")
    assert not live.nodes(desc_start="Read or add") and not live.nodes(desc_start="Sound:")
    assert live.ui.video_playing()
    french = Phone(locale="fr", ad_rate=1.0)
    french.launch()
    assert french.nodes(text="Sponsorisé") and french.nodes(text="En savoir plus")
    mixed = Phone()
    mixed.ui.app.next_kinds[:] = ["video", "live"]
    mixed.launch()
    assert not mixed.nodes(desc="LIVE", cls="View")
    mixed.ui.swipe(540, 1800, 540, 500, 200)
    assert mixed.nodes(desc="LIVE", cls="View")


def test_deep_link_to_a_single_video(phone):
    phone.ui.view_intent("https://www.tiktok.com/@maker/video/7300000000000000001?lang=en")
    assert phone.ui.foreground()[1].endswith("DetailActivity")
    assert phone.nodes(desc="Back") and not phone.nodes(desc="Home")
    assert not phone.nodes(desc="For You")
    assert box(phone.node(desc="Video")) == (0, 0, 1080, 2400)
    phone.tap(desc_start="Like video")
    assert phone.ui.records("like")[0]["video_id"] == "7300000000000000001"
    assert phone.ui.records("like")[0]["author"] == "maker"
    phone.tap(desc="Back")
    assert phone.nodes(desc="For You")


def test_screens_in_french():
    phone = Phone(locale="fr", publish_sheet_rate=1.0, next_ignore_rate=0.0)
    phone.ui.grant("android.permission.READ_MEDIA_VIDEO")
    phone.ui.media_scan("/sdcard/a.mp4", 1, 1.0)
    phone.launch()
    phone.tap(desc_start="Lire ou ajouter")
    assert phone.node(text_start="\u200e").get("text").endswith(" commentaires")
    assert {"Ajouter un commentaire...", "Répondre"} <= phone.texts()
    assert {"Mentionner quelqu'un", "Autocollants", "Fermer"} <= phone.descs()
    phone.back()
    phone.tap(desc="Créer")
    assert {"Ajouter un son", "PUBLIER", "CRÉER", "TEXTE"} <= phone.texts()
    phone.tap_node(next(n for n in phone.nodes(cls="FrameLayout") if box(n) == (0, 2081, 210, 2239)))
    assert {"Tout", "Vidéos", "Photos", "Galerie IA"} <= phone.descs()
    assert {"Récents", "Sélection multiple", "Suivant"} <= phone.texts()
    phone.tap_node(phone.tiles()[0])
    phone.tap(text="Suivant")
    assert phone.nodes(text="Ta story")
    phone.tap(text="Suivant")
    assert phone.nodes(cls="EditText")[0].get("text").startswith("Rédiger une longue description")
    assert {"Brouillons", "Publier", "Couverture", "Lieu"} <= phone.texts()
    phone.tap(text="Publier", cls="Button")
    phone.tap(text="Publier maintenant")
    assert phone.ui.records("post")
    phone.tap(desc="Profil")
    assert {"Abonnements", "Abonnés", "J'aime", "Modifier le profil"} <= phone.texts()
    phone.tap(text="alice_sim")
    assert {"Changer de compte", "Ajouter un compte"} <= phone.texts()
    phone.back()
    _open_profile(phone, "someone")
    phone.tap(text="Suivre", cls="Button")
    assert phone.nodes(text="Message") and (phone.nodes(text="Abonné(e)") or phone.nodes(text="Amis"))
    phone.ui.force_popup("contacts")
    assert phone.nodes(text="Ne pas autoriser")


def test_login_after_clear_data_and_crash(phone):
    phone.launch()
    phone.ui.crash()
    assert phone.nodes(text="TikTok")  # the launcher
    assert phone.ui.records("crash")[0]["was_running"] is True
    phone.ui.grant("android.permission.READ_MEDIA_VIDEO")
    phone.ui.clear_data(PKG)
    assert not phone.ui.granted
    phone.launch()
    assert phone.nodes(text="Log in to TikTok")
    phone.tap_node(phone.nodes(cls="EditText")[0])
    phone.ui.input_text("dave_sim")
    phone.tap(text="Log in")
    assert phone.nodes(desc="Video")
    phone.tap(desc="Profile")
    assert phone.nodes(text="@dave_sim")


def test_screencap_is_a_real_png_of_the_screen(phone):
    phone.launch()
    png = phone.ui.screencap_png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    _length, kind = struct.unpack(">I4s", png[8:16])
    width, height, depth, _colour = struct.unpack(">IIBB", png[16:26])
    assert (kind, width, height, depth) == (b"IHDR", 1080, 2400, 8)
    pos, idat = 8, b""
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + n]
        pos += 12 + n
    assert len(zlib.decompress(idat)) == height * (1 + width)
    assert phone.ui.screencap_png() is png  # same screen, cached


def test_other_screen_sizes_scale_the_layout():
    phone = Phone(screen=(720, 1600))
    phone.launch()
    assert box(phone.node(desc="Video")) == (0, 0, 720, 1480)
    phone.tap(desc_start="Like video")
    assert phone.ui.records("like")


def test_cold_start_shows_the_splash_for_its_time():
    phone = Phone(splash_seconds=1.5)
    phone.launch()
    assert not phone.nodes(desc="Video") and phone.nodes(desc="TikTok")
    assert not phone.ui.video_playing()
    phone.clock.now += 1.5
    phone.tap(desc_start="Like video")
    phone.clock.now += 2
    phone.ui.keyevent("KEYCODE_HOME")
    assert len(phone.ui.records("like")) == 1
    assert [w["seconds"] for w in phone.ui.records("watch")] == [2.0]


def test_a_tour_of_every_screen_shows_no_invented_id(phone):
    seen = set()

    def look():
        seen.update(phone.local_ids())

    phone.ui.grant("android.permission.READ_MEDIA_IMAGES")
    phone.ui.media_scan("/sdcard/a.jpg", 1, 1.0)
    phone.launch()
    look()
    phone.tap(desc_start="Read or add")
    look()
    phone.back()
    phone.tap(desc="Search")
    phone.ui.input_text("cat")
    phone.ui.keyevent("66")
    look()
    phone.back()
    for d in ("Friends", "Inbox", "Profile"):
        phone.tap(desc=d)
        look()
    phone.tap(text="alice_sim")
    look()
    phone.back()
    phone.tap(desc="Create")
    look()
    phone.open_gallery()
    look()
    phone.tap_node(phone.tiles()[0])
    phone.tap(text="Next")
    look()
    phone.editor_next_until_caption()
    look()
    _open_profile(phone, "someone")
    look()
    assert seen and not seen & OLD_IDS
    assert all(OBFUSCATED.fullmatch(i) or i in SEMANTIC | {"text1"} for i in seen), seen


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
                 phone.ui.video_playing, phone.ui.keyboard_shown,
                 lambda: phone.ui.records("like")][(i + n) % 9]()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
