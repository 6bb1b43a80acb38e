"""The interruptions real phones show over the app, seeded: the app's own "Not now" dialogs and
Android's notification-permission dialog (a window of another package, so a dump shows only it).

Pure builders; `App` decides when one appears and records how it was dismissed.
"""

from __future__ import annotations

import random
from typing import Callable

from .base import BUTTON, FRAME, LINEAR, TEXT
from .render import BLOCK, Node, fill_package

PERMISSION_PKG = "com.android.permissioncontroller"
DIALOGS = {
    "Sync your contacts?": "Find friends by syncing your phone contacts.",
    "Turn on notifications?": "Know when friends follow you or comment on your videos.",
    "Find Facebook friends?": "Connect to Facebook to follow people you know.",
    "Rate TikTok": "Enjoying the app? Let us know in the store.",
}
PERMISSION_TITLE = "Allow TikTok to send you notifications?"


def choose(rng: random.Random, style: str | None = None) -> tuple[str, str]:
    """(style, title) of a popup: one in five is the system permission dialog."""
    if style is None:
        style = "permission" if rng.random() < 0.2 else "dialog"
    title = PERMISSION_TITLE if style == "permission" else rng.choice(sorted(DIALOGS))
    return style, title


def dialog_overlay(r, title: str, dismiss: Callable[[str], None]) -> Node:
    """The app's dialog, drawn over its screen; the scrim swallows taps outside the box."""
    scrim = Node(FRAME, r(0, 0, 1080, 2400), on_tap=BLOCK)
    box = Node(FRAME, r(90, 900, 990, 1500), "popup_container", color="white", on_tap=BLOCK)
    box.add(
        Node(TEXT, r(140, 950, 940, 1050), "popup_title", text=title),
        Node(TEXT, r(140, 1070, 940, 1250), "popup_message", text=DIALOGS[title]),
        Node(BUTTON, r(140, 1300, 520, 1440), "popup_negative", text="Not now", color="light",
             on_tap=lambda: dismiss("Not now")),
        Node(BUTTON, r(560, 1300, 940, 1440), "popup_positive", text="OK", color="red",
             on_tap=lambda: dismiss("OK")),
    )
    return scrim.add(box)


def permission_window(r, size: tuple[int, int], dismiss: Callable[[str], None]) -> Node:
    """Android 13's notification permission request: its own window, ids as on a real phone."""
    root = Node(FRAME, (0, 0, *size), on_tap=BLOCK)
    box = Node(LINEAR, r(60, 1500, 1020, 2300), "grant_dialog", color="light",
               on_tap=BLOCK)
    box.add(
        Node(TEXT, r(120, 1560, 960, 1760), "permission_message", text=PERMISSION_TITLE),
        Node(BUTTON, r(120, 1900, 960, 2020), "permission_allow_button", text="Allow",
             color="blue", on_tap=lambda: dismiss("Allow")),
        Node(BUTTON, r(120, 2060, 960, 2180), "permission_deny_button", text="Don't allow",
             color="white", on_tap=lambda: dismiss("Don't allow")),
    )
    root.add(box)
    fill_package(root, PERMISSION_PKG)
    return root

