"""Screens that are not the feed: the log-in page (after `pm clear`, or "Add account"), stub tabs
(Friends, Inbox), the loading screen of an account switch, the splash, and the phone's own
windows: the launcher and any other app in front.

Built afresh per look under `AndroidUi`'s lock.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from .base import (
    BUTTON,
    FRAME,
    IMAGE,
    PKG,
    PROGRESS,
    TEXT,
    Screen,
    TextField,
    back_button,
    edit_node,
    nav_bar,
)
from .render import Node, fill_package

LAUNCHER = "com.google.android.apps.nexuslauncher"
# (label, package) of the launcher's icons; TikTok's is the one that matters.
ICONS = [("TikTok", PKG), ("Settings", "com.android.settings"),
         ("Photos", "com.google.android.apps.photos"), ("Play Store", "com.android.vending"),
         ("Phone", "com.google.android.dialer"), ("Messages", "com.google.android.apps.messaging"),
         ("Chrome", "com.android.chrome"), ("Camera", "com.android.camera2")]


class LoginScreen(Screen):
    activity = "com.ss.android.ugc.aweme.account.login.v2.ui.SignUpOrLoginActivity"

    def __init__(self, adding: bool = False):
        self.adding = adding
        self.username = TextField("Email or username")
        self.password = TextField("Password")

    def build(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        root = Node(FRAME, r(0, 0, 1080, 2400), color="white")
        password = edit_node(app, self.password, "login_password", (90, 900, 990, 1020))
        password.password = True
        if self.password.value:
            password.text = "\u2022" * len(self.password.value)
        ready = bool(self.username.value.strip())
        root.add(Node(TEXT, r(90, 400, 990, 520), k("login_title"), text=t("Log in to TikTok")),
                 edit_node(app, self.username, "login_username", (90, 740, 990, 860)),
                 password,
                 Node(BUTTON, r(90, 1100, 990, 1220), k("login_button"), text=t("Log in"),
                      enabled=ready, clickable=True, color="red" if ready else "grey",
                      on_tap=(lambda: app.login(self.username.value)) if ready else None))
        if self.adding:
            root.add(back_button(app))
        return root


class StubScreen(Screen):
    """A tab the simulator does not model beyond its title (Friends, Inbox)."""

    def __init__(self, title: str, nav_key: str):
        self.title, self.nav_key = title, nav_key

    def build(self, app) -> Node:
        r = app.r
        root = Node(FRAME, r(0, 0, 1080, 2400), color="white")
        return root.add(Node(TEXT, r(340, 100, 740, 220), app.k("stub_title"),
                             text=app.t(self.title)),
                        nav_bar(app, self.nav_key))


def loading_window(app) -> Node:
    """Shown while an account switch loads: a spinner, nothing to tap."""
    root = Node(FRAME, (0, 0, app.width, app.height), color="white")
    root.add(Node(PROGRESS, app.r(465, 1125, 615, 1275), app.k("loading"), color="grey"))
    fill_package(root, app.package)
    return root


def splash_window(app) -> Node:
    """The cold-start logo: input is ignored meanwhile, nothing on it can be tapped."""
    root = Node(FRAME, (0, 0, app.width, app.height), color="black")
    root.add(Node(IMAGE, app.r(390, 1050, 690, 1350), desc="TikTok", color="white"))
    fill_package(root, app.package)
    return root


def launcher_window(size: tuple[int, int], installed: set[str],
                    start: Callable[[str], None], app_package: str = PKG) -> Node:
    """The home screen: a grid of the installed apps' icons; tapping one starts that app."""
    w, h = size
    sx, sy = w / 1080, h / 2400
    root = Node(FRAME, (0, 0, w, h), color="blue")
    workspace = Node("android.view.ViewGroup", (0, 0, w, h), "workspace", scrollable=True)
    icons = [(label, app_package if package == PKG else package) for label, package in ICONS]
    for i, (label, package) in enumerate(p for p in icons if p[1] in installed):
        col, row = i % 4, i // 4
        x, y = 40 + col * 250, 1500 + row * 400
        box = (round(x * sx), round(y * sy), round((x + 250) * sx), round((y + 300) * sy))
        workspace.add(Node(TEXT, box, text=label, desc=label, color="white",
                           on_tap=partial(start, package)))
    root.add(workspace)
    fill_package(root, LAUNCHER)
    return root


def foreign_window(size: tuple[int, int], package: str) -> Node:
    """Any other app in front: an empty window of that package."""
    w, h = size
    root = Node(FRAME, (0, 0, w, h), color="light")
    root.add(Node(TEXT, (0, round(h * 0.05), w, round(h * 0.1)), "title", text=package))
    fill_package(root, package)
    return root
