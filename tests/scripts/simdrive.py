"""Drives a bare simulated app (appliance.sim.ui.AndroidUi, no adb) to each screen with taps
found by the scripts' own locator, for the locate() tests. Test helper; one thread."""

from __future__ import annotations

import base64
import random

from appliance.scripts.locate import locate, read

PKG = "com.zhiliaoapp.musically"


class Driver:
    def __init__(self, build: int, locale: str, **kw):
        from appliance.sim.ui import AndroidUi

        kw.setdefault("popup_rate", 0)
        self.ui = AndroidUi(random.Random(1), "x", app_build=build, locale=locale, **kw)
        self.ui.start_activity(PKG)

    def xml(self) -> str:
        return self.ui.dump_xml()

    def screen(self):
        return read(self.xml())

    def controls(self) -> dict:
        return {k: v for k, v in locate(self.xml())["controls"].items() if v}

    def tap(self, control: str) -> None:
        box = locate(self.xml())["controls"][control]
        assert box, (control, self.screen().summary())
        self.ui.tap((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)

    def tap_node(self, node) -> None:
        self.ui.tap(*node.center)

    def type(self, text: str) -> None:
        self.ui.broadcast("ADB_INPUT_B64", {"msg": base64.b64encode(text.encode()).decode()})

    def back(self) -> None:
        self.ui.keyevent("KEYCODE_BACK")

    def add_media(self, names: list[str]) -> None:
        for i, name in enumerate(names):
            self.ui.media_scan(f"/sdcard/DCIM/t/{name}", 1000 + i, 1000.0 + i)
