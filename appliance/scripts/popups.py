"""The popup watcher's knowledge: which known popup (contacts, GDPR notice, "Follow your friends",
"Not now" sheets, the permission controller's window) covers a dump, and what dismisses it.
Pure over a parsed dump; `Ui.look` acts on the answer on the task's worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from appliance.scripts.anchors import fold, load, match, words
from appliance.scripts.hierarchy import Node, Screen

#: Android's own (stable, not obfuscated) ids in the permission controller's window
ALLOW_ID = "permission_allow_button"
DENY_ID = "permission_deny_button"

Definition = dict[str, object]  # matcher data (anchors.match)


class AppPopup(TypedDict):
    name: str
    when: Definition
    tap: Definition


#: popups of the app, checked in this order; `when` must hold on the dump, `tap` is what
#: dismisses it (None: press BACK). Definitions are matcher data (anchors.match).
APP_POPUPS: list[AppPopup] = [
    {"name": "contacts prompt", "when": {"text": {"exact": "dont_allow"}},
     "tap": {"text": {"exact": "dont_allow"}}},
    {"name": "data-transfer notice", "when": {"text": {"exact": "got_it"}},
     "tap": {"text": {"exact": "got_it"}}},
    {"name": "'Follow your friends' sheet", "when": {"text": {"exact": "follow_your_friends"}},
     "tap": {"desc": {"exact": "close"}}},
    {"name": "'Not now' prompt", "when": {"text": {"exact": "not_now"}},
     "tap": {"text": {"exact": "not_now"}}},
]
PERMISSION_POPUP: list[Definition] = [
    {"package": "permission", "system_id": ALLOW_ID},
    {"package": "permission", "text": {"exact": "allow"}},
    {"package": "permission", "system_id": DENY_ID},
    {"package": "permission", "text": {"exact": "dont_allow"}},
]


@dataclass(frozen=True)
class Popup:
    name: str
    node: Node | None        # what to tap; None: press BACK
    choice: str              # what the tap answers, for the log


def permission_window(screen: Screen) -> bool:
    packages = load()["permission_packages"]
    return any(n.package in packages for n in screen.nodes)


def find_popup(screen: Screen, locale: str | None) -> Popup | None:
    """The known popup on top of this dump and how to dismiss it, or None."""
    if permission_window(screen):
        packages = load()["permission_packages"]
        message = fold(" ".join(n.text for n in screen.nodes if n.package in packages)).lower()
        media = any(fold(w).lower() in message for w in words("media_permission", locale))
        allow, allow_text, deny, deny_text = PERMISSION_POPUP
        if media:
            node = next(iter(match(screen, allow, locale) or match(screen, allow_text, locale)), None)
            return Popup("media permission (photos and videos)", node, "allow")
        node = next(iter(match(screen, deny, locale) or match(screen, deny_text, locale)), None)
        return Popup("permission request", node, "deny")
    for popup in APP_POPUPS:
        if match(screen, popup["when"], locale):
            node = next(iter(match(screen, popup["tap"], locale)), None)
            label = (node.text or node.desc) if node else "BACK"
            return Popup(popup["name"], node, label)
    return None


def describe(popup: Popup) -> str:
    return f"dismissed the {popup.name}: " + (f"tapped '{popup.choice}'" if popup.node
                                               else "pressed BACK")
