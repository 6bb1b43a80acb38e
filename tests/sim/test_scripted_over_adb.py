"""A script driven only through `uiautomator dump` and `input tap` over the real adb server
follows a user, likes a video and publishes a pushed video with a caption; the app records each.
It finds controls by text/desc/class and place, never by resource id (ids change per build), and
copes with dumps failing while a video plays (pause with a tap on the video, dump again).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ppadb.client import Client

PKG = "com.zhiliaoapp.musically"
VIDEO_MEDIA = ("android.permission.READ_MEDIA_VIDEO", "android.permission.READ_MEDIA_IMAGES")


def bounds(node: dict) -> tuple[int, int, int, int]:
    return tuple(map(int, re.findall(r"-?\d+", node["bounds"])))


class Screen:
    """What a product script does: dump the hierarchy, find a node, tap the centre of its bounds."""

    def __init__(self, device):
        self.device = device

    def nodes(self) -> list[dict]:
        for _attempt in range(12):
            text = self.device.shell("uiautomator dump /dev/tty")
            if "UI hierchary dumped to" in text:
                xml = text[:text.rindex("UI hierchary dumped to")]
                return [node.attrib for node in ET.fromstring(xml).iter("node")]
            assert text == "ERROR: could not get idle state.\n", text
            self.device.shell("input tap 540 1000")  # a playing video: pause it, dump again
        raise AssertionError("no dump in 12 attempts")

    def find(self, test) -> dict | None:
        return next((node for node in self.nodes() if test(node)), None)

    def tap(self, test, what: str) -> dict:
        node = self.find(test)
        assert node is not None, f"{what} not on screen"
        x1, y1, x2, y2 = bounds(node)
        assert self.device.shell(f"input tap {(x1 + x2) // 2} {(y1 + y2) // 2}") == ""
        return node


def desc_starts(prefix: str, cls: str = "android.widget.Button"):
    return lambda n: n["class"] == cls and n["content-desc"].startswith(prefix)


def text_is(text: str, cls: str | None = None):
    return lambda n: n["text"] == text and (cls is None or n["class"] == cls)


def untitled(n: dict) -> bool:
    """The camera's gallery entry or a gallery tile: a clickable FrameLayout, no text, no desc."""
    return (n["class"] == "android.widget.FrameLayout" and n["clickable"] == "true"
            and not n["text"] and not n["content-desc"])


def test_follow_like_and_post_through_adb(adb_server, sim_farm, connected_phones, tmp_path):
    phone = sim_farm(1, seed=4, sdk=33, popup_rate=0.0, ad_rate=0.0, live_rate=0.0,
                     publish_sheet_rate=0.0, next_ignore_rate=0.0).phones[0]
    connected_phones([phone])
    device = Client("127.0.0.1", adb_server.port).device(phone.address)
    screen = Screen(device)
    device.shell(f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1")

    screen.tap(desc_starts("Follow "), "the Follow button")
    screen.tap(desc_starts("Like video"), "the Like button")

    clip = tmp_path / "holiday.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(4096))
    device.push(str(clip), "/sdcard/DCIM/Camera/holiday.mp4")
    device.shell("touch /sdcard/DCIM/Camera/holiday.mp4; am broadcast -a "
                 "android.intent.action.MEDIA_SCANNER_SCAN_FILE -d file:///storage/emulated/0/DCIM/Camera/holiday.mp4")
    for permission in VIDEO_MEDIA:
        assert device.shell(f"pm grant {PKG} {permission}; echo $?") == "0\n"
    screen.tap(desc_starts("Create"), "Create")
    entry = [n for n in screen.nodes() if untitled(n) and bounds(n)[0] == 0 and bounds(n)[1] > 1800]
    assert entry, "the camera's gallery entry"
    x1, y1, x2, y2 = bounds(entry[0])
    device.shell(f"input tap {(x1 + x2) // 2} {(y1 + y2) // 2}")
    tiles = [n for n in screen.nodes() if untitled(n) and not n["resource-id"] and 340 <= bounds(n)[1] < 2220]
    assert tiles, "no gallery tile"
    x1, y1, x2, y2 = bounds(tiles[0])  # newest first
    device.shell(f"input tap {(x1 + x2) // 2} {(y1 + y2) // 2}")
    screen.tap(text_is("Next"), "the gallery's Next")
    screen.tap(text_is("Next"), "the editor's Next")
    screen.tap(lambda n: n["class"] == "android.widget.EditText", "the caption field")
    device.shell("input text 'Sunny%sday'")
    device.shell("input keyevent KEYCODE_BACK")  # hide the keyboard over the Post button
    screen.tap(text_is("Post", "android.widget.Button"), "Post")

    assert len(phone.app_records("follow")) == 1
    assert phone.app_records("like")
    post = phone.app_records("post")[-1]
    assert post["caption"] == "Sunny day"
    assert post["media"][0]["name"] == "holiday.mp4" and post["media"][0]["size"] == clip.stat().st_size
