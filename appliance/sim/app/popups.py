"""The interruptions real phones show over the app, seeded: the app's own dialogs and sheets
(contacts, GDPR notice, "Follow your friends", "Create shared collections") drawn over the screen,
and Android's permission controller (notifications, or photos and videos) in its own window.

Pure builders; `App` decides when one appears and records how it was dismissed.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from .base import BUTTON, FRAME, IMAGE, LINEAR, TEXT
from .render import BLOCK, Node, fill_package

PERMISSION_PKG = "com.android.permissioncontroller"
DONT_ALLOW = "Don\u2019t allow"
GDPR_TEXT = ("To provide our services, we may make transfers of EEA User Data to China and other "
             "countries outside the EEA.")
TITLES = {
    "contacts": "Sync your contacts to find friends",
    "gdpr": GDPR_TEXT,
    "follow_friends": "Follow your friends",
    "collections": "Create shared collections",
    "permission": "Allow TikTok to send you notifications?",
    "media": "Allow TikTok to access photos and videos on this device?",
}
IN_APP = ("contacts", "gdpr", "follow_friends", "collections")
SYSTEM = ("permission", "media")  # the permission controller's own window


def choose(rng: random.Random, style: str | None, notifications_asked: bool) -> tuple[str, str]:
    """(style, title) of a popup. None or "dialog": a random in-app one; a random popup is the
    notification permission one time in five while that permission is not decided."""
    if style in (None, "dialog"):
        if style is None and not notifications_asked and rng.random() < 0.2:
            style = "permission"
        else:
            style = rng.choice(IN_APP)
    return style, TITLES[style]


def dialog_overlay(app, style: str, dismiss: Callable[[str], None]) -> Node:
    """The app's dialog or sheet, drawn over its screen; the scrim swallows taps outside it."""
    r, k, t = app.r, app.k, app.t
    scrim = Node(FRAME, r(0, 0, 1080, 2400), on_tap=BLOCK)

    def button(box, label, colour="light", key="popup_negative"):
        return Node(BUTTON, r(*box), k(key), text=t(label), color=colour,
                    on_tap=lambda: dismiss(label))

    if style == "follow_friends":
        box = Node(FRAME, r(0, 1300, 1080, 2400), k("popup_box"), color="white", on_tap=BLOCK)
        box.add(Node(TEXT, r(60, 1340, 900, 1430), k("popup_title"), text=t(TITLES[style])),
                Node(IMAGE, r(980, 1320, 1060, 1400), k("popup_close"), desc=t("Close"),
                     on_tap=lambda: dismiss("Close")),
                Node(TEXT, r(60, 1450, 1020, 1550), k("popup_message"),
                     text=t("Find people you know on TikTok.")))
        return scrim.add(box)
    box = Node(FRAME, r(90, 850, 990, 1550), k("popup_box"), color="white", on_tap=BLOCK)
    if style == "contacts":
        box.desc = "Dialog"
        box.add(Node(TEXT, r(140, 900, 940, 1100), k("popup_title"), text=t(TITLES[style])),
                button((140, 1380, 520, 1500), DONT_ALLOW),
                button((560, 1380, 940, 1500), "OK", "red", "popup_positive"))
    elif style == "gdpr":
        box.add(Node(TEXT, r(140, 900, 940, 1300), k("popup_message"), text=t(GDPR_TEXT)),
                button((140, 1380, 940, 1500), "Got it", "red", "popup_positive"))
    else:  # collections
        box.add(Node(TEXT, r(140, 900, 940, 1000), k("popup_title"), text=t(TITLES[style])),
                Node(TEXT, r(140, 1020, 940, 1200), k("popup_message"),
                     text=t("Save videos together with friends in one collection.")),
                button((140, 1380, 940, 1500), "Not now"))
    return scrim.add(box)


def permission_window(app, style: str, dismiss: Callable[[str], None]) -> Node:
    """Android's runtime permission request: its own window, with the system's real ids."""
    r, t = app.r, app.t
    pid = PERMISSION_PKG + ":id/"
    root = Node(FRAME, (0, 0, app.width, app.height), on_tap=BLOCK)
    box = Node(LINEAR, r(60, 1400, 1020, 2300), pid + "grant_dialog", color="light",
               on_tap=BLOCK)
    box.add(Node(TEXT, r(120, 1460, 960, 1660), pid + "permission_message",
                 text=t(TITLES[style])),
            Node(BUTTON, r(120, 1780, 960, 1900), pid + "permission_allow_button",
                 text=t("Allow"), color="blue", on_tap=lambda: dismiss("Allow")))
    if style == "media" and app.sdk >= 34:
        box.add(Node(BUTTON, r(120, 1920, 960, 2040), pid + "permission_allow_selected_button",
                     text=t("Select photos and videos"), color="white",
                     on_tap=lambda: dismiss("Select photos and videos")))
    box.add(Node(BUTTON, r(120, 2060, 960, 2180), pid + "permission_deny_button",
                 text=t(DONT_ALLOW), color="white", on_tap=lambda: dismiss(DONT_ALLOW)))
    root.add(box)
    fill_package(root, PERMISSION_PKG)
    return root
