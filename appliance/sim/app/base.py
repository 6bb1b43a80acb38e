"""Building blocks shared by the screens: the `Screen` base class, text fields with focus, the
widget classes uiautomator reports, and the bottom navigation bar.

Layouts are written in 1080x2400 design units and scaled by `App.r` to the phone's screen; ids
are keys of ids.py that `App.k` turns into the build's obfuscated id. Built under the UI lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .ids import TEXT1
from .render import Node

if TYPE_CHECKING:
    from .app import App

PKG = "com.zhiliaoapp.musically"
FRAME = "android.widget.FrameLayout"
LINEAR = "android.widget.LinearLayout"
TEXT = "android.widget.TextView"
BUTTON = "android.widget.Button"
IMAGE = "android.widget.ImageView"
EDIT = "android.widget.EditText"
VIEW = "android.view.View"
PROGRESS = "android.widget.ProgressBar"
RECYCLER = "androidx.recyclerview.widget.RecyclerView"
TABS = "android.widget.HorizontalScrollView"


@dataclass(eq=False)
class TextField:
    """An EditText's content. `input text` and the ADB keyboard append at its end."""

    hint: str
    value: str = ""
    multiline: bool = False
    on_submit: Callable[[], None] | None = None  # what ENTER does on a single-line field


class Screen:
    """One activity or fragment of the app. `build` returns the content tree afresh each time."""

    activity = "com.ss.android.ugc.aweme.main.MainActivity"
    initial_focus: TextField | None = None
    keyboard_covers = False  # the keyboard hides y >= 1450 while a field has focus

    def build(self, app: App) -> Node:
        raise NotImplementedError

    def on_swipe(self, app: App, dx: int, dy: int) -> None:
        """A swipe of (dx, dy) design units; dy < 0 is a swipe up."""

    def on_back(self, app: App) -> bool:
        """Close an inner panel and return True, or return False to let the app pop the screen."""
        return False

    def video_id(self, app: App) -> str | None:
        """The video playing on this screen, for the watch record."""
        return None

    def playing(self, app: App) -> bool:
        """A video plays in front (no sheet open, not paused)."""
        return False


def edit_node(app: App, field: TextField, key: str, box, desc: str = "") -> Node:
    """An EditText showing its value, or its hint while empty (as Android's accessibility does)."""

    def focus():
        app.focus = field

    return Node(EDIT, app.r(*box), app.k(key), text=field.value or app.t(field.hint), desc=desc,
                focusable=True, focused=app.focus is field, long_clickable=True,
                color="light", on_tap=focus)


def back_button(app: App, on_tap=None) -> Node:
    return Node(IMAGE, app.r(20, 100, 130, 210), app.k("back"), desc=app.t("Back"),
                on_tap=on_tap or app.pop)


def tab_node(app: App, box, key: str, label: str, selected: bool, on_tap=None) -> Node:
    """A tab as the app draws it: a clickable FrameLayout with desc, its label in text1."""
    b = app.r(*box)
    return Node(FRAME, b, app.k(key), desc=label, selected=selected,
                on_tap=on_tap or (lambda: None)).add(Node(TEXT, b, TEXT1, text=label))


def nav_bar(app: App, selected: str) -> Node:
    """The bottom tab bar: Home, Friends, Create (a desc-only Button), Inbox, Profile."""
    # Imported here because those screen modules import this one.
    from .create import CameraScreen
    from .profile import OwnProfileScreen
    from .system import StubScreen

    bar = Node(FRAME, app.r(0, 2220, 1080, 2400), app.k("nav_bar"), color="black")
    tabs = [
        ("nav_home", "Home", lambda: app.reset_to(app.feed())),
        ("nav_friends", "Friends", lambda: app.reset_to(StubScreen("Friends", "nav_friends"))),
        ("nav_create", "Create", lambda: app.push(CameraScreen())),
        ("nav_inbox", "Inbox", lambda: app.reset_to(StubScreen("Inbox", "nav_inbox"))),
        ("nav_profile", "Profile", lambda: app.reset_to(OwnProfileScreen())),
    ]
    for i, (key, label, action) in enumerate(tabs):
        box = app.r(i * 216, 2220, (i + 1) * 216, 2400)
        label = app.t(label)
        if key == "nav_create":
            bar.add(Node(BUTTON, box, app.k(key), desc=label, color="white", on_tap=action))
        else:
            bar.add(Node(FRAME, box, app.k(key), desc=label, selected=key == selected,
                         on_tap=action).add(Node(TEXT, (0, 0, 0, 0), text=label)))
    return bar
