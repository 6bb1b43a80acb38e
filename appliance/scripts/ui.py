"""The app's UI on one phone for one task: dumps (retried, a playing video paused by one centre
tap, counted), the popup watcher, classified screens, named controls, taps, typing through the
ADB keyboard's base64 broadcast, keys, launch/stop, deep links.

A `Ui` belongs to one ScriptContext and so to one task's worker thread. Every phone call goes
through `ctx.shell` (cancellation checked before and after); waits use `ctx.sleep`.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterable

from appliance.devices import quote
from appliance.devices.uidump import dump_ui
from appliance.errors import ApplianceError
from appliance.scripts import controls
from appliance.scripts.anchors import detect_locale
from appliance.scripts.context import ScriptContext
from appliance.scripts.hierarchy import Node, Screen
from appliance.scripts.locate import read
from appliance.scripts.popups import describe, find_popup

DEFAULT_PACKAGE = "com.zhiliaoapp.musically"
DUMP_ATTEMPTS = 4
KEYS = {"BACK": "KEYCODE_BACK", "HOME": "KEYCODE_HOME", "ENTER": "KEYCODE_ENTER",
        "DEL": "KEYCODE_DEL", "SEARCH": "KEYCODE_SEARCH"}


class UiStepFailed(ApplianceError):
    """A step could not do what it needed on screen; `screen` summarises what was there and
    `dump` is the raw hierarchy of that moment (kept with the task as `ui_dump`)."""

    def __init__(self, step: str, message: str, dump: str = "", screen: str = ""):
        super().__init__(f"step '{step}' failed: {message}" + (f" (on screen: {screen})" if screen else ""))
        self.step, self.dump, self.screen = step, dump, screen


class Ui:
    """The UI of one app (`package`) on the task's phone, driven through `ctx`."""

    def __init__(self, ctx: ScriptContext, package: str = DEFAULT_PACKAGE):
        self.ctx = ctx
        self.package = package
        self.locale: str | None = None
        self.last: Screen | None = None
        self.dumps = 0          # dump attempts this task
        self.retried = 0        # dumps that needed more than one attempt
        self._size: tuple[int, int] | None = None

    # --- looking ----------------------------------------------------------------------------

    def dump(self, step: str = "read the screen") -> Screen:
        """One readable dump, classified. While a video plays the tool cannot get an idle state:
        one tap on the centre (the video) pauses it, then short retries; a screen that never
        dumps is "not ready" and fails `step`."""
        paused, error = False, ""
        for attempt in range(DUMP_ATTEMPTS):
            self.dumps += 1
            result = dump_ui(self.ctx.shell)
            if result.ok:
                if attempt:
                    self.retried += 1
                screen = read(result.xml or "", self.screen_size(), self.locale)
                if self.locale is None and screen.nodes:
                    self.locale = detect_locale(screen)
                    if self.locale:
                        self.ctx.log(f"the app's language: {self.locale}")
                self.last = screen
                return screen
            error = result.error
            if result.not_idle and not paused:
                w, h = self.screen_size()
                self.ctx.log("the screen is busy (a video plays): tapping its centre to pause it")
                self.tap_xy(w // 2, h // 2)
                paused = True
            self.ctx.sleep(0.3 + 0.2 * attempt)
        self.retried += 1
        last = self.last
        raise UiStepFailed(step, f"the screen is not ready: {error} ({DUMP_ATTEMPTS} attempts)",
                           dump=last.xml if last else "", screen=last.summary() if last else "")

    def look(self, step: str = "read the screen", popups: int = 4) -> Screen:
        """A dump with known popups dismissed first (each one logged)."""
        for _ in range(popups + 1):
            screen = self.dump(step)
            popup = find_popup(screen, self.locale)
            if popup is None:
                return screen
            self.ctx.log(describe(popup))
            if popup.node is not None:
                self.tap(popup.node)
            else:
                self.back()
            self.ctx.sleep(0.4)
        return screen

    def wait_for(self, names: Iterable[str] | Callable[[Screen], bool], step: str,
                 timeout: float = 15.0, interval: float = 0.5) -> Screen:
        """Look until the screen is one of `names` (or `names(screen)` holds); UiStepFailed
        naming the screen shown after `timeout` seconds."""
        test = names if callable(names) else (lambda s, wanted=set(names): s.name in wanted)
        deadline = time.monotonic() + timeout
        while True:
            screen = self.look(step)
            if test(screen):
                return screen
            if time.monotonic() >= deadline:
                wanted = "the expected screen" if callable(names) else " or ".join(names)
                raise self.failure(step, f"{wanted} did not show within {timeout:g} s; the "
                                         f"phone shows the {screen.name or 'unknown'} screen", screen)
            self.ctx.sleep(interval)

    def find(self, name: str, screen: Screen | None = None) -> Node | None:
        screen = screen or self.last or self.look()
        return controls.find(name, screen, self.locale)

    def need(self, name: str, step: str, screen: Screen | None = None) -> Node:
        screen = screen or self.last or self.look(step)
        node = controls.find(name, screen, self.locale)
        if node is None:
            raise self.failure(step, f"no {name} on the {screen.name or 'unknown'} screen", screen)
        return node

    def failure(self, step: str, message: str, screen: Screen | None = None) -> UiStepFailed:
        screen = screen or self.last or Screen("")
        return UiStepFailed(step, message, dump=screen.xml, screen=screen.summary())

    def summary(self) -> str:
        return f"dumps: {self.dumps} ({self.retried} retried)"

    # --- acting -----------------------------------------------------------------------------

    def tap(self, node: Node) -> None:
        self.tap_xy(*node.center)

    def tap_control(self, name: str, step: str, screen: Screen | None = None) -> Node:
        node = self.need(name, step, screen)
        self.tap(node)
        return node

    def tap_xy(self, x: int, y: int) -> None:
        self.ctx.shell(f"input tap {int(x)} {int(y)}")

    def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> None:
        self.ctx.shell(f"input swipe {int(x1)} {int(y1)} {int(x2)} {int(y2)} {int(duration_ms)}")

    def screen_size(self) -> tuple[int, int]:
        if self._size is None:
            out = self.ctx.shell("wm size")
            found = re.findall(r"(\d+)x(\d+)", out)
            self._size = (int(found[-1][0]), int(found[-1][1])) if found else (1080, 2400)
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

    def keyboard_shown(self) -> bool:
        return "mInputShown=true" in self.ctx.shell("dumpsys input_method")

    def hide_keyboard(self) -> bool:
        """BACK when the keyboard is up (it is never in a dump but covers the lower screen)."""
        if self.keyboard_shown():
            self.back()
            self.ctx.sleep(0.3)
            return True
        return False

    def search(self, query: str) -> None:
        """From a screen with the feed's Search: open search, type `query` and submit it (the
        `Search` text, or the IME action where a build shows none)."""
        self.tap_control("feed.search", "open search")
        screen = self.wait_for(["search"], "open search", timeout=10)
        self.tap_control("search.input", "focus the search box", screen)
        self.type_text(query)
        submit = self.find("search.submit", self.look("run the search"))
        if submit is not None:
            self.tap(submit)
        else:
            self.key("ENTER")

    # --- the app ----------------------------------------------------------------------------

    def launch(self) -> None:
        self.ctx.shell(f"monkey -p {quote(self.package)} -c android.intent.category.LAUNCHER 1")

    def stop_app(self) -> None:
        self.ctx.shell(f"am force-stop {quote(self.package)}")

    def open_url(self, url: str) -> None:
        """A deep link (tiktok.com/@user, a video URL) opened in the app."""
        self.ctx.shell(f"am start -a android.intent.action.VIEW -d {quote(url)} {quote(self.package)}")

    def version(self) -> str:
        out = self.ctx.shell(f"dumpsys package {quote(self.package)} | grep versionName")
        found = re.search(r"versionName=(\S+)", out)
        return found.group(1) if found else "unknown"
