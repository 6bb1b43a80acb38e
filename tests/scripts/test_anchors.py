"""Fast (no phone) tests of the anchor layer: no selector can match by a resource id alone, the
locale detector, the screen classifier (overlays first), locate() on real-like 43.1.4 dumps, the
popup watcher's choices, the dump retry (pause tap) and the bounded flow loop."""

import threading
from pathlib import Path

import pytest

from appliance.scripts import anchors, controls, popups
from appliance.scripts.anchors import detect_locale, is_semantic, match
from appliance.scripts.flow import DONE, run_flow
from appliance.scripts.hierarchy import Screen
from appliance.scripts.locate import CONTROLS, locate, read
from appliance.scripts.ui import Ui, UiStepFailed

DUMPS = Path(__file__).parent / "dumps"
P = "com.zhiliaoapp.musically"


def dump(*nodes: str) -> str:
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
            '<node class="android.widget.FrameLayout" package="{}" bounds="[0,0][1080,2400]">{}'
            "</node></hierarchy>".format(P, "".join(nodes)))


def n(cls="TextView", bounds=(0, 0, 10, 10), text="", desc="", rid="", pkg=P, **flags) -> str:
    attrs = " ".join(f'{k}="{str(v).lower()}"' for k, v in flags.items())
    rid = rid if not rid or ":" in rid else f"{pkg}:id/{rid}"
    return (f'<node class="android.widget.{cls}" package="{pkg}" text="{text}" content-desc="{desc}" '
            f'resource-id="{rid}" bounds="[{bounds[0]},{bounds[1]}][{bounds[2]},{bounds[3]}]" {attrs}/>')


def every_definition():
    for name in controls.control_names():
        for d in controls.definitions(name):
            yield name, d
    for popup in popups.APP_POPUPS:
        yield popup["name"], popup["when"]
        yield popup["name"], popup["tap"]
    for d in popups.PERMISSION_POPUP:
        yield "permission", d


# --- ids never decide ------------------------------------------------------------------------


def test_no_selector_can_match_by_id_alone():
    for name, d in every_definition():
        anchors.check_definition(d)
        assert is_semantic(d), f"{name}: {d} has nothing but ids"
        if "rule" in d:
            assert d["rule"] in controls.RULES, name
        # a node that carries every hint id and nothing else is never found
        ids = d.get("hint_ids", [])
        screen = read(dump(*(n("View", (0, 0, 0, 0), rid=i) for i in ids)))
        assert controls.find_definition(d, screen, None, screen.name) is None, name


def test_the_matcher_rejects_a_definition_of_ids_only():
    screen = read(dump(n("Button", (940, 1300, 1060, 1480), rid="f57", clickable=True)))
    assert match(screen, {"hint_ids": ["f57"]}) == []
    assert match(screen, {"system_id": "f57"}) == []          # system ids need a package
    assert controls.find_definition({"hint_ids": ["f57"]}, screen, None) is None
    # the same id on the right node only raises its score
    like = {"class": "Button", "desc": {"prefix": "like_video"}, "hint_ids": ["f57"]}
    two = read(dump(n("Button", (940, 1300, 1060, 1480), desc="Like video. 3 likes", rid="zz1"),
                    n("Button", (940, 1500, 1060, 1680), desc="Like video. 3 likes", rid="f57")))
    assert match(two, like)[0].short_id == "f57"


# --- locate on real-like dumps -----------------------------------------------------------------


def test_locate_answers_exactly_screen_and_every_control():
    answer = locate((DUMPS / "feed_43_1_4.xml").read_text())
    assert set(answer) == {"screen", "controls"}
    assert set(CONTROLS) <= set(answer["controls"])
    assert locate("<hierarchy/>") == {"screen": None, "controls": dict.fromkeys(answer["controls"])}


def test_real_feed_43_1_4():
    answer = locate((DUMPS / "feed_43_1_4.xml").read_text())
    c = answer["controls"]
    assert answer["screen"] == "feed"
    assert c["feed.like"] == [940, 1300, 1060, 1480] and c["feed.share"] == [940, 1930, 1060, 2110]
    assert c["feed.comment"] == [940, 1510, 1060, 1690]
    assert c["feed.favourite"] == [940, 1720, 1060, 1900]
    assert c["feed.follow_author"] == [970, 1190, 1030, 1250]
    assert c["feed.search"] == [960, 110, 1060, 210]
    assert c["nav.create"] == [432, 2220, 648, 2400] and c["nav.profile"] == [864, 2220, 1080, 2400]
    assert c["feed.upload_badge"] == [40, 220, 200, 300]
    assert c["post.publish"] is None and c["gallery.next"] is None
    assert detect_locale(Screen((DUMPS / "feed_43_1_4.xml").read_text())) == "en"


def test_real_caption_screen_43_1_4():
    answer = locate((DUMPS / "caption_43_1_4.xml").read_text())
    c = answer["controls"]
    assert answer["screen"] == "caption"
    assert c["post.caption"] == [40, 220, 760, 620]          # not the title field below it
    assert c["post.publish"] == [560, 2250, 1040, 2370] and c["post.drafts"] == [40, 2250, 520, 2370]


def test_real_camera_gallery_entry_is_never_the_shutter():
    answer = locate((DUMPS / "camera_43_1_4.xml").read_text())
    assert answer["screen"] == "camera"
    assert answer["controls"]["camera.gallery"] == [0, 2081, 210, 2239]


def test_french_feed_is_detected_and_located():
    xml = (DUMPS / "feed_43_1_4.xml").read_text()
    for en, fr in [("Like video. 169.2K likes", "Attribuer un J'aime à la vidéo. 169,2 k J'aime"),
                   ("Read or add comments. 334 comments",
                    "Lire ou ajouter des commentaires. 334 commentaires"),
                   ('"Home"', '"Accueil"'), ('"Profile"', '"Profil"'), ('"For You"', '"Pour toi"'),
                   ('"Create"', '"Créer"'), ('"Search"', '"Rechercher"'), ('"Friends"', '"Amis"'),
                   ('"Inbox"', '"Boîte de réception"'), ('"Explore"', '"Explorer"'),
                   ('"Following"', '"Abonnements"')]:
        xml = xml.replace(en, fr)
    screen = read(xml)
    assert screen.locale == "fr" and screen.name == "feed"
    c = locate(xml)["controls"]
    assert c["feed.like"] and c["feed.comment"] and c["nav.create"] and c["nav.profile"]


def test_unknown_locale_uses_the_union():
    screen = read(dump(n("Button", (940, 1300, 1060, 1480), desc="Attribuer un J'aime à la vidéo. 3 J'aime"),
                       n("FrameLayout", (0, 2220, 216, 2400), desc="Home")))
    assert detect_locale(screen) is None
    assert controls.find("feed.like", screen, None) is not None


# --- classifier: overlays first ---------------------------------------------------------------


def test_gallery_over_camera_and_sheet_over_video_and_switcher_over_profile():
    camera = (DUMPS / "camera_43_1_4.xml").read_text()
    gallery = camera.replace("</node>\n</hierarchy>", "".join([
        n("FrameLayout", (270, 220, 540, 320), desc="Videos", clickable=True),
        n("FrameLayout", (540, 220, 810, 320), desc="Photos", clickable=True),
        n("FrameLayout", (3, 343, 357, 697), clickable=True),
        n("Button", (760, 2260, 1060, 2370), text="Next", enabled=False)]) + "</node>\n</hierarchy>")
    answer = locate(gallery)
    assert answer["screen"] == "gallery"
    assert answer["controls"]["gallery.first_tile"] == [3, 343, 357, 697]
    assert answer["controls"]["gallery.next"] == [760, 2260, 1060, 2370]
    assert answer["controls"]["nav.create"] is None and answer["controls"]["editor.next"] is None
    feed = (DUMPS / "feed_43_1_4.xml").read_text()
    sheet = feed.replace("</hierarchy>", "").rsplit("</node>", 1)[0] + "".join([
        n("TextView", (40, 820, 600, 900), text="\u200e334 comments"),
        n("ImageView", (980, 820, 1060, 900), desc="Close", clickable=True),
        n("EditText", (40, 2250, 700, 2370), text="Add comment...", clickable=True),
        n("ImageView", (720, 2270, 800, 2350), desc="Mention someone", clickable=True),
        n("ImageView", (810, 2270, 890, 2350), desc="Stickers", clickable=True)]) + "</node></hierarchy>"
    answer = locate(sheet)
    assert answer["screen"] == "comments"
    assert answer["controls"]["comment.input"] == [40, 2250, 700, 2370]
    assert answer["controls"]["comment.close"] == [980, 820, 1060, 900]
    assert answer["controls"]["comment.send"] is None      # only once text is typed
    profile = dump(n(text="mia", bounds=(320, 110, 700, 200)), n(text="@mia", bounds=(300, 460, 780, 520)),
                   n(text="Followers", bounds=(400, 620, 600, 660)),
                   n(text="Switch account", bounds=(300, 1350, 780, 1420)),
                   n(text="mia", bounds=(200, 1500, 800, 1560)), n(text="bob", bounds=(200, 1600, 800, 1660)))
    assert read(profile).name == "account_switcher"


def test_popups_and_permission_window():
    contacts = dump(n(text="Sync your contacts to find friends"),
                    n("Button", (100, 1500, 500, 1600), text="Don’t allow"))
    ascii_ = dump(n("Button", (100, 1500, 500, 1600), text="Don't allow"))
    for xml in (contacts, ascii_):
        popup = popups.find_popup(read(xml), None)
        assert popup and popup.node.text in ("Don’t allow", "Don't allow") and read(xml).name == "dialog"
    pc = "com.android.permissioncontroller"
    media = dump(n(text="Allow TikTok to access photos and videos on this device?", pkg=pc),
                 n("Button", (100, 1700, 900, 1800), text="Allow",
                   rid=f"{pc}:id/permission_allow_button", pkg=pc),
                 n("Button", (100, 1850, 900, 1950), text="Don’t allow",
                   rid=f"{pc}:id/permission_deny_button", pkg=pc))
    popup = popups.find_popup(read(media), None)
    assert popup.choice == "allow" and popup.node.short_id == "permission_allow_button"
    notif = media.replace("access photos and videos on this device", "send you notifications")
    popup = popups.find_popup(read(notif), None)
    assert popup.choice == "deny" and popup.node.short_id == "permission_deny_button"
    # `Close` alone is the comment sheet's or the camera's, not a popup
    assert popups.find_popup(read(dump(n("ImageView", (980, 820, 1060, 900), desc="Close"))), None) is None
    friends = dump(n(text="Follow your friends"), n("ImageView", (980, 820, 1060, 900), desc="Close"))
    assert popups.find_popup(read(friends), None).node.desc == "Close"
    sheet = dump(n(text="Publish video publicly?"), n("Button", (40, 2000, 1040, 2100), text="Publish now"))
    assert popups.find_popup(read(sheet), None) is None and read(sheet).name == "dialog"


# --- dumps: pause tap, retry, not ready -----------------------------------------------------


class FakeCtx:
    def __init__(self, outputs):
        self.outputs, self.commands, self.lines = list(outputs), [], []
        self.cancel = threading.Event()

    def shell(self, command, timeout=None):
        self.commands.append(command)
        if command == "wm size":
            return "Physical size: 1080x2400"
        if command.startswith("rm -f"):
            return self.outputs.pop(0)
        return ""

    def sleep(self, seconds):
        pass

    def log(self, message, level="info"):
        self.lines.append(message)


BUSY = "ERROR: could not get idle state.\n"
GOOD = "UI hierchary dumped to: /sdcard/window_dump.xml\n" + (DUMPS / "feed_43_1_4.xml").read_text()


def test_a_playing_video_is_paused_by_one_centre_tap_then_the_dump_is_retried():
    ctx = FakeCtx([BUSY, BUSY, GOOD])
    ui = Ui(ctx)
    screen = ui.dump()
    assert screen.name == "feed"
    assert [c for c in ctx.commands if c.startswith("input tap")] == ["input tap 540 1200"]
    assert ui.summary() == "dumps: 3 (1 retried)"


def test_a_screen_that_never_dumps_is_not_ready():
    ctx = FakeCtx([BUSY] * 4)
    with pytest.raises(UiStepFailed) as info:
        Ui(ctx).dump("open the post")
    assert "step 'open the post' failed: the screen is not ready" in info.value.message


# --- flows are bounded ----------------------------------------------------------------------


def test_an_unknown_screen_fails_at_once_naming_screen_and_step():
    ui = Ui(FakeCtx([GOOD] * 3))
    with pytest.raises(UiStepFailed) as info:
        run_flow(ui, "post", {"camera": lambda s: DONE})
    assert "unexpected feed screen at step 1 of 'post'" in info.value.message
    assert "<hierarchy" in info.value.dump


def test_the_same_action_on_the_same_screen_is_a_loop():
    ui = Ui(FakeCtx([GOOD] * 10))
    with pytest.raises(UiStepFailed) as info:
        run_flow(ui, "post", {"feed": lambda s: "tap Create"}, max_repeat=3)
    assert "stuck on the feed screen: 'tap Create' repeated 3 times" in info.value.message
