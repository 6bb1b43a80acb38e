"""A script driven only through `uiautomator dump` and `input tap` over the real adb server
follows a user, likes a video and publishes a pushed video with a caption; the app records each.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ppadb.client import Client

PKG = "com.zhiliaoapp.musically"


class Screen:
    """What a product script does: dump the hierarchy, find a node, tap the centre of its bounds."""

    def __init__(self, device):
        self.device = device

    def nodes(self) -> list[dict]:
        text = self.device.shell("uiautomator dump /dev/tty")
        xml = text[:text.rindex("UI hierchary dumped to")]
        return [node.attrib for node in ET.fromstring(xml).iter("node")]

    def find(self, resource: str) -> dict | None:
        for node in self.nodes():
            if node["resource-id"] == f"{PKG}:id/{resource}":
                return node
        return None

    def tap(self, resource: str) -> None:
        popup = self.find("popup_negative")
        if popup is not None:  # the app's seeded "not now" dialogs
            self._tap(popup)
        node = self.find(resource)
        assert node is not None, f"{resource} not on screen"
        self._tap(node)

    def _tap(self, node: dict) -> None:
        x1, y1, x2, y2 = map(int, re.findall(r"\d+", node["bounds"]))
        assert self.device.shell(f"input tap {(x1 + x2) // 2} {(y1 + y2) // 2}") == ""


def test_follow_like_and_post_through_adb(adb_server, sim_farm, connected_phones, tmp_path):
    phone = sim_farm(1, seed=4).phones[0]
    connected_phones([phone])
    device = Client("127.0.0.1", adb_server.port).device(phone.address)
    screen = Screen(device)
    device.shell(f"monkey -p {PKG} -c android.intent.category.LAUNCHER 1")

    author = screen.find("author_name")["text"].lstrip("@")
    screen.tap("follow_button")
    screen.tap("like_button")

    clip = tmp_path / "holiday.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(4096))
    device.push(str(clip), "/sdcard/DCIM/Camera/holiday.mp4")
    device.shell("am broadcast -a android.intent.action.MEDIA_SCANNER_SCAN_FILE "
                 "-d file:///sdcard/DCIM/Camera/holiday.mp4")
    for step in ("nav_create", "upload_button", "gallery_item", "gallery_next", "edit_next", "caption_input"):
        screen.tap(step)
    device.shell("input text 'Sunny%sday'")
    screen.tap("post_button")

    assert [r["username"] for r in phone.app_records("follow")] == [author]
    assert phone.app_records("like")[-1]["author"] == author
    post = phone.app_records("post")[-1]
    assert post["caption"] == "Sunny day"
    assert post["media"][0]["name"] == "holiday.mp4" and post["media"][0]["size"] == clip.stat().st_size
