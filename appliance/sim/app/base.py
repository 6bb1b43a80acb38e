"""Building blocks shared by the screens: the `Screen` base class, text fields with focus, the
widget classes uiautomator reports, and the bottom navigation bar.

Layouts are written in 1080x2400 design units and scaled by `App.r` to the phone's screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

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
CHECK = "android.widget.CheckBox"
RECYCLER = "androidx.recyclerview.widget.RecyclerView"
PAGER = "androidx.viewpager.widget.ViewPager"
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

    def build(self, app: "App") -> Node:
        raise NotImplementedError

    def on_swipe(self, app: "App", dx: int, dy: int) -> None:
        """A swipe of (dx, dy) design units; dy < 0 is a swipe up."""

    def on_back(self, app: "App") -> bool:
        """Close an inner panel and return True, or return False to let the app pop the screen."""
        return False

    def video_id(self, app: "App") -> str | None:
        """The video playing on this screen, for the watch record."""
        return None


def edit_node(app: "App", field: TextField, rid: str, box, desc: str = "") -> Node:
    """An EditText showing its value, or its hint while empty (as Android's accessibility does)."""

    def focus():
        app.focus = field

    return Node(EDIT, app.r(*box), rid, text=field.value or field.hint, desc=desc,
                focusable=True, focused=app.focus is field, long_clickable=True,
                color="light", on_tap=focus)


def nav_bar(app: "App", selected: str) -> Node:
    """The bottom tab bar: Home, Friends, Create (+), Inbox, Profile."""
    # Imported here because those screen modules import this one.
    from .profile import OwnProfileScreen
    from .create import CreateScreen
    from .system import StubScreen

    bar = Node(FRAME, app.r(0, 2220, 1080, 2400), "bottom_tabs", color="black")
    tabs = [
        ("nav_home", "Home", lambda: app.reset_to(app.feed())),
        ("nav_friends", "Friends", lambda: app.reset_to(StubScreen("Friends", "friends_title"))),
        ("nav_create", "", lambda: app.push(CreateScreen())),
        ("nav_inbox", "Inbox", lambda: app.reset_to(StubScreen("Inbox", "inbox_title"))),
        ("nav_profile", "Profile", lambda: app.reset_to(OwnProfileScreen())),
    ]
    for i, (rid, label, action) in enumerate(tabs):
        box = (i * 216, 2220, (i + 1) * 216, 2400)
        desc = label or "Create"
        bar.add(Node(IMAGE if rid == "nav_create" else TEXT, app.r(*box), rid, text=label,
                     desc=desc, selected=rid == selected,
                     color="white" if rid == "nav_create" else None, on_tap=action))
    return bar
