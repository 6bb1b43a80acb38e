"""UI automation helpers every script uses: dump the screen, find nodes by data selectors, wait,
tap, type (via the ADB keyboard's base64 broadcast), swipe, keys, launch/stop, dismiss popups.

A `Ui` belongs to one ScriptContext and so to one task's worker thread. Every phone call goes
through `ctx.shell`, which checks cancellation before and after; waits use `ctx.sleep`.
Selectors live in `selectors/<app>.json`, so an app update is a data change, not a code change.
"""

from __future__ import annotations

import base64
import json
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from appliance.devices import quote
from appliance.errors import ApplianceError

SELECTORS_DIR = Path(__file__).resolve().parent / "selectors"
DUMP_PATH = "/sdcard/window_dump.xml"
_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")
KEYS = {"BACK": "KEYCODE_BACK", "HOME": "KEYCODE_HOME", "ENTER": "KEYCODE_ENTER",
        "DEL": "KEYCODE_DEL", "SEARCH": "KEYCODE_SEARCH"}


class UiStepFailed(ApplianceError):
    """A step could not find what it needed on screen; `screen` summarises what was there and
    `dump` is the raw hierarchy of that moment (kept with the task)."""

    def __init__(self, step: str, message: str, dump: str = "", screen: str = ""):
        super().__init__(f"step '{step}' failed: {message}" + (f" (on screen: {screen})" if screen else ""))
        self.step, self.dump, self.screen = step, dump, screen


@dataclass(frozen=True)
class Node:
    rid: str
    text: str
    desc: str
    cls: str
    package: str
    bounds: tuple[int, int, int, int]
    selected: bool
    enabled: bool
    focused: bool

    @property
    def center(self) -> tuple[int, int]:
        x1, y1, x2, y2 = self.bounds
        return (x1 + x2) // 2, (y1 + y2) // 2

    @property
    def short_id(self) -> str:
        return self.rid.split(":id/", 1)[-1]


class Screen:
    """One parsed dump: the nodes in drawing order (later ones are on top)."""

    def __init__(self, xml: str):
        self.xml = xml
        self.nodes: list[Node] = []
        try:
            root = ET.fromstring(xml)
        except ET.ParseError:
            return
        for el in root.iter("node"):
            match = _BOUNDS.match(el.get("bounds", ""))
            bounds = tuple(int(v) for v in match.groups()) if match else (0, 0, 0, 0)
            self.nodes.append(Node(
                rid=el.get("resource-id", ""), text=el.get("text", ""),
                desc=el.get("content-desc", ""), cls=el.get("class", ""),
                package=el.get("package", ""), bounds=bounds,  # type: ignore[arg-type]
                selected=el.get("selected") == "true", enabled=el.get("enabled") != "false",
                focused=el.get("focused") == "true"))

    def summary(self, limit: int = 12) -> str:
        """A short human description: the ids and texts on screen, for remarks and logs."""
        seen = []
        for node in self.nodes:
            label = node.short_id or node.text or node.desc
            if label and label not in seen:
                seen.append(label)
        return ", ".join(seen[:limit]) + (" ..." if len(seen) > limit else "") or "nothing"


@lru_cache(maxsize=8)
def load_selectors(app: str) -> dict:
    """The selector file of `app` (e.g. "musically"); read once per process."""
    return json.loads((SELECTORS_DIR / f"{app}.json").read_text(encoding="utf-8"))


def _matches(node: Node, sel: dict, package: str) -> bool:
    for key, want in sel.items():
        if key == "id":
            full = want if ":" in want else f"{package}:id/{want}"
            if node.rid != full:
                return False
        elif key == "text" and node.text != want:
            return False
        elif key == "text_contains" and want not in node.text:
            return False
        elif key == "desc" and node.desc != want:
            return False
        elif key == "desc_contains" and want not in node.desc:
            return False
        elif key == "desc_startswith" and not node.desc.startswith(want):
            return False
        elif key == "class" and node.cls != want:
            return False
        elif key == "selected" and node.selected != want:
            return False
    return True


class Ui:
    """The UI of one app on the task's phone, driven through `ctx`."""

    def __init__(self, ctx: Any, app: str = "musically"):
        self.ctx = ctx
        data = load_selectors(app)
        self.package: str = data["package"]
        self.launch_activity: str = data.get("launch_activity", "")
        self.selectors: dict = data["selectors"]
        self.popups: list = data.get("popups", [])
        self._size: tuple[int, int] | None = None
        self.last: Screen | None = None

    # --- looking ------------------------------------------------------------------------

    def dump(self) -> Screen:
        out = self.ctx.shell(f"uiautomator dump {DUMP_PATH} && cat {DUMP_PATH}")
        start, end = out.find("<?xml"), out.rfind("</hierarchy>")
        if start < 0:
            start = out.find("<hierarchy")
        xml = out[start:end + len("</hierarchy>")] if start >= 0 and end >= 0 else ""
        self.last = Screen(xml)
        if not self.last.nodes:
            self.ctx.log(f"the UI dump could not be read: {out[:200]!r}", "warning")
        return self.last

    def _selector(self, what: str | dict | list) -> list[dict]:
        if isinstance(what, str):
            if what not in self.selectors:
                raise KeyError(f"no selector named {what!r} for {self.package}")
            what = self.selectors[what]
        return what if isinstance(what, list) else [what]

    def find(self, what: str | dict | list, screen: Screen | None = None) -> Node | None:
        """The topmost node matching `what` (a selector name or a selector), or None."""
        screen = screen or self.dump()
        for sel in self._selector(what):
            for node in reversed(screen.nodes):
                if _matches(node, sel, self.package):
                    return node
        return None

    def exists(self, what, screen: Screen | None = None) -> bool:
        return self.find(what, screen) is not None

    def wait(self, what: str | dict | list, timeout: float = 10.0, interval: float = 0.3,
             step: str | None = None) -> Node:
        """Wait until `what` is on screen (dismissing known popups meanwhile); UiStepFailed
        naming the step after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.dump()
            if self.dismiss_popups(screen):   # a popup covers what is below it: away first
                continue
            node = self.find(what, screen)
            if node is not None:
                return node
            if time.monotonic() >= deadline:
                name = what if isinstance(what, str) else json.dumps(what)
                raise UiStepFailed(step or f"find {name}", f"{name} did not appear within "
                                   f"{timeout:g} s", dump=screen.xml, screen=screen.summary())
            self.ctx.sleep(interval)

    def dismiss_popups(self, screen: Screen | None = None) -> bool:
        """Tap away a known popup ("Not now" ...) if one is showing; True if one was."""
        screen = screen or self.dump()
        for sel in self.popups:
            node = self.find(sel, screen)
            if node is not None:
                self.ctx.log(f"dismissed a popup: tapped '{node.text or node.short_id}'")
                self.tap_xy(*node.center)
                return True
        return False

    # --- acting -------------------------------------------------------------------------

    def tap(self, what: str | dict | list | Node, timeout: float = 10.0,
            step: str | None = None) -> Node:
        node = what if isinstance(what, Node) else self.wait(what, timeout, step=step)
        self.tap_xy(*node.center)
        return node

    def tap_xy(self, x: int, y: int) -> None:
        self.ctx.shell(f"input tap {int(x)} {int(y)}")

    def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> None:
        self.ctx.shell(f"input swipe {int(x1)} {int(y1)} {int(x2)} {int(y2)} {int(duration_ms)}")

    def screen_size(self) -> tuple[int, int]:
        if self._size is None:
            out = self.ctx.shell("wm size")
            match = re.findall(r"(\d+)x(\d+)", out)
            self._size = (int(match[-1][0]), int(match[-1][1])) if match else (1080, 2400)
        return self._size

    def swipe_up(self) -> None:
        """Next video: a swipe up over the middle of the screen."""
        w, h = self.screen_size()
        self.swipe(w // 2, int(h * 0.75), w // 2, int(h * 0.25), 250)

    def key(self, name: str) -> None:
        self.ctx.shell(f"input keyevent {KEYS.get(name, name)}")

    def back(self) -> None:
        self.key("BACK")

    def type_text(self, text: str) -> None:
        """Type `text` into the focused field exactly (unicode, newlines, quotes): the ADB
        keyboard's base64 broadcast, never `input text` (which mangles all of those)."""
        if not text:
            return
        payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
        self.ctx.shell(f"am broadcast -a ADB_INPUT_B64 --es msg {quote(payload)}")

    # --- the app ------------------------------------------------------------------------

    def launch(self) -> None:
        self.ctx.shell(f"monkey -p {quote(self.package)} -c android.intent.category.LAUNCHER 1")

    def stop_app(self) -> None:
        self.ctx.shell(f"am force-stop {quote(self.package)}")

    def open_url(self, url: str) -> None:
        """A deep link (tiktok.com/@user, a video URL) opened in the app."""
        self.ctx.shell(f"am start -a android.intent.action.VIEW -d {quote(url)} "
                       f"{quote(self.package)}")

    def open_app(self, ready: str = "feed", timeout: float = 15.0) -> Node:
        """Launch the app and wait for its `ready` screen, dismissing popups on the way."""
        self.launch()
        return self.wait(ready, timeout, step="open the app")


# --- accounts (issue 6): the logged-in accounts of the app, read and switched through its UI ---


def _username(text: str) -> str:
    return text.strip().lstrip("@")


def open_own_profile(ui: Ui, step: str = "open the own profile") -> str:
    """Go to the Profile tab (from any screen with the tab bar); returns the current account."""
    ui.tap("nav_profile", step=step)
    node = ui.wait("own_username", step=step)
    return _username(node.text)


def logged_in_accounts(ui: Ui) -> tuple[list[str], str]:
    """(every account logged in on the app, the current one), read from the account switcher.
    Leaves the switcher closed on the own profile."""
    current = open_own_profile(ui, step="read the accounts on the phone")
    ui.tap("account_switch", step="open the account switcher")
    ui.wait("account_list", step="open the account switcher")
    screen = ui.dump()
    names = [_username(n.text) for n in screen.nodes if n.short_id == "account_name"]
    ui.back()   # close the sheet without switching
    return [n for n in names if n] or [current], current


def ensure_account(ui: Ui, username: str, timeout: float = 10.0) -> None:
    """Make `username` the app's current account through the account switcher (CONTRACT:
    multi-account tasks run as their account). UiStepFailed when it is not logged in here."""
    step = f"switch to account @{username}"
    current = open_own_profile(ui, step=step)
    if current == username:
        ui.ctx.log(f"the app already runs as @{username}")
        return
    ui.tap("account_switch", step=step)
    ui.wait("account_list", step=step)
    screen = ui.dump()
    item = ui.find({"id": "account_item", "desc": f"@{username}"}, screen)
    if item is None:
        names = [n.text for n in screen.nodes if n.short_id == "account_name"]
        raise UiStepFailed(step, f"@{username} is not logged in on this phone (logged in: "
                           f"{', '.join(names) or 'none'})", dump=screen.xml,
                           screen=screen.summary())
    ui.tap(item)
    deadline = time.monotonic() + timeout
    while True:
        node = ui.find("own_username")
        if node is not None and _username(node.text) == username:
            break
        if time.monotonic() >= deadline:
            last = ui.last or Screen("")
            raise UiStepFailed(step, f"the app still shows {node.text if node else 'no account'}",
                               dump=last.xml, screen=last.summary())
        ui.dismiss_popups(ui.last)
        ui.ctx.sleep(0.3)
    ui.ctx.log(f"switched the app from @{current} to @{username}")
