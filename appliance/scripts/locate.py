"""`locate(xml)`: which screen a uiautomator dump shows and where each named control is, for
operators (`appliance ui locate`, through services/ui.py) and the tests. Pure; the caller's thread.
"""

from __future__ import annotations

from appliance.scripts.anchors import detect_locale
from appliance.scripts.controls import control_names, find
from appliance.scripts.hierarchy import Screen
from appliance.scripts.screens import classify

#: the controls every answer lists (null when absent), then the rest of the vocabulary
CONTROLS = ("feed.like", "feed.comment", "feed.favourite", "feed.share", "feed.follow_author",
            "feed.search", "nav.home", "nav.friends", "nav.create", "nav.inbox", "nav.profile",
            "comment.input", "comment.close", "popup.dismiss", "post.caption", "post.publish",
            "post.drafts", "gallery.videos_tab", "gallery.photos_tab", "gallery.next",
            "editor.next")


def all_controls() -> list[str]:
    return list(CONTROLS) + [n for n in control_names() if n not in CONTROLS]


def read(xml: str, size: tuple[int, int] | None = None, locale: str | None = None) -> Screen:
    """A parsed, classified dump (locale detected unless given)."""
    screen = Screen(xml, size)
    screen.locale = locale or detect_locale(screen)
    screen.name = classify(screen, screen.locale)
    return screen


def locate(xml: str) -> dict:
    """`{"screen": NAME | None, "controls": {CONTROL: [x1, y1, x2, y2] | None, ...}}`."""
    screen = read(xml)
    controls = {}
    for name in all_controls():
        node = find(name, screen, screen.locale) if screen.nodes else None
        controls[name] = node.box() if node is not None else None
    return {"screen": screen.name, "controls": controls}
