"""The simulated short-video app's process: its back stack of screens, text focus, popups,
uploads and the watch timer, over the World, Accounts and Records of state.py.

Called only by `AndroidUi` (ui.py) with its lock held; nothing here starts threads or sleeps.
Time comes from the injected `clock` (uploads finish and watches are measured against it).
"""

from __future__ import annotations

import random
from typing import Callable

from . import popups
from .base import FRAME, IMAGE, PKG, Screen
from .feed import FeedScreen
from .profile import OwnProfileScreen, ProfileScreen
from .render import Node, fill_package, hit
from .state import IMAGE_EXT, VIDEO_EXT, Account, Media, Records, World
from .system import LoginScreen

DESIGN_W, DESIGN_H = 1080, 2400


class App:
    """One install of com.zhiliaoapp.musically: state that survives screens, and the navigation."""

    package = PKG

    def __init__(self, rng: random.Random, size: tuple[int, int], accounts: list[str] | None,
                 clock: Callable[[], float], popup_rate: float = 0.03, upload_seconds: float = 3.0,
                 splash_seconds: float = 0.0):
        self.rng = rng
        self.clock = clock
        self.width, self.height = size
        self.world = World(rng.randrange(1 << 32))
        self.records = Records(clock)
        self.popup_rate = popup_rate  # chance of a popup at each cold start and feed swipe
        self.upload_seconds = upload_seconds
        self.splash_seconds = splash_seconds  # a cold start shows only the logo this long
        self._splash_until = 0.0
        if accounts is None:
            accounts = [f"{rng.choice(['sunny', 'pixel', 'mango', 'nova'])}_"
                        f"{rng.choice(['ka', 'lo', 'mi'])}{rng.randint(10, 99)}{i}" for i in range(3)]
        self.accounts: dict[str, Account] = {name: Account(name) for name in accounts}
        self.current: str | None = accounts[0] if accounts else None
        self.gallery: list[Media] = []  # newest first, as the picker shows them
        self.uploads: list[dict] = []   # post records still uploading
        self.running = False     # the process exists
        self.foreground = False  # its window is in front
        self.stack: list[Screen] = []
        self.popup: dict | None = None  # the popup record being shown
        self.popup_pending: str | bool = False  # a forced popup's style, waiting for its moment
        self.focus = None  # the TextField that typing goes into
        self._feed = None
        self._watch: tuple[str, float] | None = None  # (video id, since)

    # -- geometry and lookups ------------------------------------------------------------
    def r(self, x1: int, y1: int, x2: int, y2: int) -> tuple[int, int, int, int]:
        sx, sy = self.width / DESIGN_W, self.height / DESIGN_H
        return round(x1 * sx), round(y1 * sy), round(x2 * sx), round(y2 * sy)

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

    def open_videos(self, ids: list[str], pos: int = 0) -> None:
        if self.account:
            self.push(FeedScreen(home=False, ids=list(ids), pos=pos))

    def stop(self) -> None:
        self.foreground = False
        self.sync_watch()
        self.running = False
        self.stack, self.popup, self.focus, self._feed = [], None, None, None

    def crash(self) -> None:
        self.records.add("crash", account=self.current, was_running=self.running,
                         screen=type(self.top).__name__ if self.top else None)
        self.stop()

    def clear_data(self) -> None:
        self.stop()
        self.accounts, self.current = {}, None

    # -- accounts and actions -----------------------------------------------------------
    def login(self, username: str) -> None:
        username = username.strip().lstrip("@")
        if username:
            self.accounts.setdefault(username, Account(username))
            previous, self.current = self.current, username
            self.records.add("login", account=username, previous=previous)
            self._feed = None
            self.reset_to(self.feed())

    def switch_account(self, username: str) -> None:
        if username != self.current and username in self.accounts:
            self.records.add("switch_account", account=username, previous=self.current)
            self.current = username
            self._feed = None

    def set_follow(self, username: str, on: bool, via: str) -> None:
        following = self.account.following
        if on and username not in following:
            following.add(username)
            self.records.add("follow", account=self.current, username=username, via=via)
        elif not on and username in following:
            following.discard(username)
            self.records.add("unfollow", account=self.current, username=username, via=via)

    def toggle(self, kind: str, video_id: str) -> None:
        """Like or collect (favourite) a video, or undo it."""
        video = self.world.video(video_id)
        done = self.account.liked if kind == "like" else self.account.collected
        on = video_id not in done
        (done.add if on else done.discard)(video_id)
        setattr(video, kind + "s", getattr(video, kind + "s") + (1 if on else -1))
        self.records.add(kind if on else "un" + kind, account=self.current, video_id=video_id,
                         author=video.author)

    def comment(self, video_id: str, text: str) -> None:
        video = self.world.video(video_id)
        self.world.comments(video).insert(0, (self.current, text))
        video.comments += 1
        self.records.add("comment", account=self.current, video_id=video_id, author=video.author,
                         text=text)

    def publish(self, media: list[Media], caption: str) -> dict:
        now = self.clock()
        post = self.records.add(
            "post", account=self.current, caption=caption,
            media_type="video" if media[0].kind == "video" else "images",
            media=[{"name": m.name, "size": m.size, "kind": m.kind, "path": m.path} for m in media],
            status="uploading", video_id=str(self.rng.randint(7_400_000_000_000_000_000,
                                                              7_499_999_999_999_999_999)),
            started=round(now, 3), done_at=round(now + self.upload_seconds, 3))
        self.account.posts.insert(0, post)
        self.uploads.append(post)
        return post

    def upload_progress(self) -> tuple[str, int] | None:
        """('uploading', percent) for the newest upload of this account, or ('posted', 100) for
        a few seconds after it finished; None otherwise."""
        now = self.clock()
        for post in self.account.posts[:1] if self.account else []:
            if post["status"] == "uploading":
                spent = now - post["started"]
                return "uploading", min(99, int(100 * spent / max(self.upload_seconds, 1e-9)))
            if now - post["done_at"] < 5:
                return "posted", 100
        return None

    def media_scan(self, path: str, size: int) -> bool:
        name = path.rsplit("/", 1)[-1]
        ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
        kind = "video" if ext in VIDEO_EXT else "image" if ext in IMAGE_EXT else None
        if kind is None:
            return False
        self.gallery = [m for m in self.gallery if m.path != path]
        self.gallery.insert(0, Media(path, name, size, kind))
        return True

    # -- popups ------------------------------------------------------------------------
    def maybe_popup(self, trigger: str) -> None:
        if self.popup is None and (self.popup_pending or self.rng.random() < self.popup_rate):
            style, title = popups.choose(self.rng, self.popup_pending or None)
            self.popup_pending = False
            self.popup = self.records.add("popup", account=self.current, title=title,
                                          style=style, trigger=trigger, choice=None)

    def force_popup(self, style: str = "dialog") -> None:
        """Show a popup ("dialog": Not now/OK, or "permission": Don't allow/Allow) now if the app
        is in front, else at its next cold start or feed swipe."""
        self.popup_pending = style
        if self.running and self.foreground:
            self.maybe_popup("forced")

    def _dismiss(self, choice: str) -> None:
        if self.popup is not None:
            self.popup["choice"] = choice
            self.popup = None

    # -- input ---------------------------------------------------------------------------
    def tick(self) -> None:
        now = self.clock()
        for post in list(self.uploads):
            if now >= post["done_at"]:
                post["status"] = "posted"
                self.uploads.remove(post)

    def splashing(self) -> bool:
        return self.clock() < self._splash_until

    def window(self) -> Node:
        """The active window: the top screen's content with the app's dialog over it, or the
        system permission dialog alone (uiautomator dumps only the active window)."""
        self.tick()
        if self.splashing():  # input is ignored meanwhile: nothing on it can be tapped
            root = Node(FRAME, (0, 0, self.width, self.height), color="black")
            root.add(Node(IMAGE, self.r(390, 1050, 690, 1350), desc="TikTok", color="white"))
            fill_package(root, PKG)
            return root
        if self.popup is not None and self.popup["style"] == "permission":
            return popups.permission_window(self.r, (self.width, self.height), self._dismiss)
        root = Node(FRAME, (0, 0, self.width, self.height), color="dark")
        root.add(self.top.build(self))
        if self.popup is not None:
            root.add(popups.dialog_overlay(self.r, self.popup["title"], self._dismiss))
        fill_package(root, PKG)
        return root

    def tap(self, x: int, y: int) -> None:
        node = hit([self.window()], x, y)
        if node is not None:
            node.on_tap()

    def swipe(self, x1: int, y1: int, x2: int, y2: int) -> None:
        if self.popup is None and self.top is not None and not self.splashing():
            self.tick()
            sx, sy = DESIGN_W / self.width, DESIGN_H / self.height
            self.top.on_swipe(self, round((x2 - x1) * sx), round((y2 - y1) * sy))

    def type_text(self, text: str) -> None:
        if self.popup is None and self.focus is not None and not self.splashing():
            self.focus.value += text

    def key(self, name: str) -> None:
        """BACK, ENTER, DEL, FORWARD_DEL or a character key; HOME is the launcher's business."""
        if self.splashing():
            return
        if name == "BACK":
            if self.popup is not None:
                self._dismiss("back")
            elif self.focus is not None and self.top.initial_focus is None:
                self.focus = None  # the first back hides the keyboard
            elif not self.top.on_back(self):
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
