"""The simulated short-video app's process: its back stack of screens, text focus, popups and
permission requests, account-switch loading, uploads and the watch timer, over the World,
Accounts and Records of state.py (state changes themselves are in actions.py).

Called only by `AndroidUi` (ui.py) with its lock held; nothing here starts threads or sleeps.
Time comes from the injected `clock` (uploads finish and watches are measured against it).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from . import ids, popups
from .actions import NOTIFICATIONS, READ_IMAGES, READ_SELECTED, READ_VIDEO, Actions, default_grants
from .base import FRAME, PKG, Screen, TextField
from .feed import FeedScreen
from .profile import OwnProfileScreen, ProfileScreen
from .render import Node, fill_package, hit
from .state import Account, Media, Records, World
from .strings import count, tr
from .system import LoginScreen, loading_window, splash_window

DESIGN_W, DESIGN_H = 1080, 2400
KEYBOARD_TOP = 1450  # design y from which the keyboard covers the caption screen


class App(Actions):
    """One install of the app: state that survives screens, and the navigation."""

    def __init__(self, rng: random.Random, size: tuple[int, int], accounts: list[str] | None,
                 clock: Callable[[], float], popup_rate: float = 0.03,
                 upload_seconds: float | tuple[float, float] = 3.0, splash_seconds: float = 0.0,
                 *, app_build: int = 1, locale: str = "en", sdk: int = 33, package: str = PKG,
                 switch_seconds: float = 0.0, publish_sheet_rate: float = 1 / 3,
                 next_ignore_rate: float = 0.25, ad_rate: float = 1 / 8, live_rate: float = 1 / 12):
        self.rng = rng
        self.clock = clock
        self.width, self.height = size
        self.package, self.app_build, self.sdk = package, int(app_build), int(sdk)
        self.locale = "fr" if str(locale).lower().startswith("fr") else "en"
        self.ids = ids.table(self.app_build)
        self.version_name = ids.version_name(self.app_build)
        self.world = World(rng.randrange(1 << 32))
        self.records = Records(clock)
        self.popup_rate = popup_rate  # chance of a popup at each cold start and feed swipe
        self.upload_seconds = upload_seconds
        self.splash_seconds = splash_seconds  # a cold start shows only the logo this long
        self.switch_seconds = switch_seconds
        self.publish_sheet_rate, self.next_ignore_rate = publish_sheet_rate, next_ignore_rate
        self.ad_rate, self.live_rate = ad_rate, live_rate
        self.next_kinds: list[str] = []  # test hook: kinds ("ad", "live", "video") of the next feed videos
        self._splash_until = 0.0
        if accounts is None:
            accounts = [f"{rng.choice(['sunny', 'pixel', 'mango', 'nova'])}_"
                        f"{rng.choice(['ka', 'lo', 'mi'])}{rng.randint(10, 99)}{i}" for i in range(3)]
        self.accounts: dict[str, Account] = {name: Account(name) for name in accounts}
        self.current: str | None = accounts[0] if accounts else None
        self.granted: set[str] = default_grants(self.sdk)
        self.notifications_asked = self.sdk < 33
        self.gallery: list[Media] = []  # the media store; gallery_items() sorts it
        self.scans = 0    # media scans so far (tie-break of equal mtimes)
        self.photos = 0   # photos taken with the shutter
        self.uploads: list[dict] = []   # post records still uploading
        self.running = False     # the process exists
        self.foreground = False  # its window is in front
        self.stack: list[Screen] = []
        self.popup: dict | None = None  # the popup record being shown
        self.popup_pending: str | None = None  # a forced popup's style, waiting for its moment
        self.switching: tuple[str, float] | None = None  # (account, ready at)
        self.focus: TextField | None = None  # the TextField that typing goes into
        self._feed: Screen | None = None
        self._watch: tuple[str, float] | None = None  # (video id, since)
        self.profiles: dict[str, dict] = {}  # own accounts' edited fields (actions.profile_of)
        self.chats: dict[tuple[str, str], list[str]] = {}  # (account, user) -> DMs sent

    # -- geometry, strings, lookups -----------------------------------------------------
    def r(self, x1: int, y1: int, x2: int, y2: int) -> tuple[int, int, int, int]:
        sx, sy = self.width / DESIGN_W, self.height / DESIGN_H
        return round(x1 * sx), round(y1 * sy), round(x2 * sx), round(y2 * sy)

    def k(self, key: str) -> str:
        """The resource id of a control in this build (the package is added by fill_package)."""
        return self.ids[key]

    def t(self, text: str, **fmt) -> str:
        return tr(self.locale, text, **fmt)

    def n(self, value: int) -> str:
        return count(value, self.locale)

    @property
    def account(self) -> Account | None:
        return self.accounts.get(self.current) if self.current else None

    def feed(self) -> Screen:
        if self._feed is None:
            self._feed = FeedScreen(home=True)
        return self._feed

    @property
    def top(self) -> Screen | None:
        return self.stack[-1] if self.stack else None

    # -- navigation --------------------------------------------------------------------
    def push(self, screen: Screen) -> None:
        self.stack.append(screen)
        self.focus = screen.initial_focus

    def pop(self) -> None:
        if len(self.stack) > 1:
            self.stack.pop()
            self.focus = None
        else:
            self.foreground = False  # back from the root screen: the app goes to the background

    def reset_to(self, screen: Screen) -> None:
        self.stack = [screen]
        self.focus = screen.initial_focus

    def launch(self, via: str) -> None:
        cold = not self.running
        if cold:
            self.running = True
            self._splash_until = self.clock() + self.splash_seconds
            self.reset_to(self.feed() if self.account else LoginScreen())
        self.foreground = True
        self.records.add("launch", account=self.current, cold=cold, via=via)
        if cold:
            self.maybe_popup("launch")

    def open_user(self, username: str) -> None:
        if not self.account:
            return
        username = username.lstrip("@")
        if username == self.current:
            self.push(OwnProfileScreen())
        else:
            self.world.user(username)
            self.push(ProfileScreen(username))

    def open_videos(self, video_ids: list[str], pos: int = 0) -> None:
        if self.account:
            self.push(FeedScreen(home=False, ids_=list(video_ids), pos=pos))

    def stop(self) -> None:
        self.foreground = False
        self.sync_watch()
        self.running = False
        self.stack, self.popup, self.focus, self._feed, self.switching = [], None, None, None, None

    def crash(self) -> None:
        self.records.add("crash", account=self.current, was_running=self.running,
                         screen=type(self.top).__name__ if self.top else None)
        self.stop()

    def clear_data(self) -> None:
        """`pm clear`: logged out, runtime permissions back to their install state."""
        self.stop()
        self.accounts, self.current = {}, None
        self.granted = default_grants(self.sdk)
        self.notifications_asked = self.sdk < 33

    # -- popups ------------------------------------------------------------------------
    def maybe_popup(self, trigger: str) -> None:
        if self.popup is None and (self.popup_pending or self.rng.random() < self.popup_rate):
            style, title = popups.choose(self.rng, self.popup_pending or None,
                                         self.notifications_asked)
            self.popup_pending = None
            self.popup = self.records.add("popup", account=self.current, title=title,
                                          style=style, trigger=trigger, choice=None)

    def force_popup(self, style: str = "dialog") -> None:
        """Show a popup now if the app is in front, else at its next cold start or feed swipe.
        Styles: contacts, gdpr, follow_friends, collections, permission (notifications), media,
        or dialog (a random in-app one)."""
        self.popup_pending = style
        if self.running and self.foreground:
            self.maybe_popup("forced")

    def ask_media_permission(self) -> None:
        if self.popup is None:
            self.popup = self.records.add("popup", account=self.current,
                                          title=popups.TITLES["media"], style="media",
                                          trigger="gallery", choice=None)

    def _dismiss(self, choice: str) -> None:
        if self.popup is None:
            return
        self.popup["choice"] = choice
        style, self.popup = self.popup["style"], None
        if style == "permission":
            self.notifications_asked = True
            if choice == "Allow":
                self.granted.add(NOTIFICATIONS)
        elif style == "media" and choice == "Allow":
            self.granted |= {READ_VIDEO, READ_IMAGES}
        elif style == "media" and choice == "Select photos and videos":
            self.granted.add(READ_SELECTED)

    # -- what is in front ----------------------------------------------------------------
    def tick(self) -> None:
        now = self.clock()
        for post in list(self.uploads):
            if now >= post["done_at"]:
                post["status"] = "posted"
                self.uploads.remove(post)
        if self.switching and now >= self.switching[1]:
            self._finish_switch()

    def splashing(self) -> bool:
        return self.clock() < self._splash_until

    def busy(self) -> bool:
        """The logo or the switch's loading screen is up: input is ignored."""
        self.tick()
        return self.splashing() or self.switching is not None

    def system_popup(self) -> bool:
        return self.popup is not None and self.popup["style"] in popups.SYSTEM

    def video_playing(self) -> bool:
        return (self.running and self.foreground and not self.busy() and self.popup is None
                and self.top is not None and self.top.playing(self))

    def keyboard_shown(self) -> bool:
        return (self.running and self.foreground and not self.busy() and self.popup is None
                and self.focus is not None)

    def window(self) -> Node:
        """The active window: the top screen's content with the app's overlay over it, or the
        system permission window alone (uiautomator dumps only the active window)."""
        self.tick()
        if self.splashing():
            return splash_window(self)
        if self.switching:
            return loading_window(self)
        if self.system_popup() and self.popup is not None:
            return popups.permission_window(self, self.popup["style"], self._dismiss)
        root = Node(FRAME, (0, 0, self.width, self.height), color="dark")
        if self.top is not None:
            root.add(self.top.build(self))
        if self.popup is not None:
            root.add(popups.dialog_overlay(self, self.popup["style"], self._dismiss))
        fill_package(root, self.package)
        return root

    # -- input ---------------------------------------------------------------------------
    def tap(self, x: int, y: int) -> None:
        if self.busy():
            return
        if (self.keyboard_shown() and self.top is not None and self.top.keyboard_covers
                and y * DESIGN_H / self.height >= KEYBOARD_TOP):
            return  # on the keyboard, which is not in the dump
        node = hit([self.window()], x, y)
        if node is not None and node.tap_at is not None:  # a slider
            x1, _, x2, _ = node.bounds
            node.tap_at((x - x1) / max(1, x2 - x1))
        elif node is not None and node.on_tap is not None:
            node.on_tap()

    def swipe(self, x1: int, y1: int, x2: int, y2: int) -> None:
        if self.popup is None and self.top is not None and not self.busy():
            sx, sy = DESIGN_W / self.width, DESIGN_H / self.height
            self.top.on_swipe(self, round((x2 - x1) * sx), round((y2 - y1) * sy))

    def type_text(self, text: str) -> None:
        if self.popup is None and self.focus is not None and not self.busy():
            self.focus.value += text

    def key(self, name: str) -> None:
        """BACK, ENTER, DEL, FORWARD_DEL or a character key; HOME is the launcher's business."""
        if self.busy():
            return
        if name == "BACK":
            if self.popup is not None:
                self._dismiss("back")
            elif self.focus is not None:
                self.focus = None  # the first back hides the keyboard
            elif self.top is None or not self.top.on_back(self):
                self.pop()
        elif self.popup is not None or self.focus is None:
            return
        elif name in ("ENTER", "SEARCH"):
            if self.focus.multiline and name == "ENTER":
                self.focus.value += "\n"
            elif self.focus.on_submit is not None:
                submit = self.focus.on_submit
                self.hide_keyboard()  # the IME action closes the keyboard
                submit()
        elif name == "DEL":
            self.focus.value = self.focus.value[:-1]
        elif len(name) == 1:
            self.focus.value += name

    def hide_keyboard(self) -> None:
        self.focus = None

    def sync_watch(self) -> None:
        """Close the watch record of a video that left the screen; start timing the new one."""
        top = self.top
        playing = top.video_id(self) if (self.running and self.foreground and top) else None
        now = self.clock()
        if self._watch and self._watch[0] != playing:
            video_id, since = self._watch
            self._watch = None
            if now > since:  # a video on screen for no time at all was not watched
                self.records.add("watch", account=self.current, video_id=video_id,
                                 author=self.world.video(video_id).author,
                                 seconds=round(now - since, 3))
        if playing and self._watch is None:
            self._watch = (playing, max(now, self._splash_until))  # it plays once the logo goes
