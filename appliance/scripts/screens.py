"""The screen classifier: names what one dump shows (feed, comments, caption, gallery, camera,
editor, dialog, profile, search, account_switcher, login, other; None for an empty dump).
Overlays first: a popup or the permission window, the switcher over a profile, the comment
sheet over a video, the gallery over the camera. Pure; any thread.
"""

from __future__ import annotations

import re

from appliance.scripts.anchors import fold, in_region, match, words
from appliance.scripts.hierarchy import Screen
from appliance.scripts.popups import find_popup, permission_window

NAMES = ("feed", "comments", "caption", "gallery", "camera", "editor", "dialog", "profile",
         "search", "account_switcher", "login", "other")
_CAMERA_DURATION = re.compile(r"^\d{1,2}(s|m|min)$")


def _has(screen: Screen, locale, **definition) -> bool:
    if "class_" in definition:
        definition["class"] = definition.pop("class_")
    return bool(match(screen, definition, locale))


def _comment_title(screen: Screen, locale) -> bool:
    pattern = re.compile(r"^[\d][\d.,\sKkMm]*\s(" + "|".join(
        re.escape(fold(w)) for w in words("comments_word", locale)) + r")$")
    return any(pattern.match(fold(n.text).strip()) for n in screen.nodes if n.text)


def is_dialog(screen: Screen, locale) -> bool:
    if permission_window(screen) or find_popup(screen, locale) is not None:
        return True
    if _has(screen, locale, text={"prefix": "publish_publicly"}) or \
            _has(screen, locale, text={"exact": "publish_now"}):
        return True
    if _has(screen, locale, text={"exact": "unfollow"}) and _has(screen, locale, text={"exact": "cancel"}):
        return True
    return _has(screen, locale, desc={"exact": "dialog"})


def is_gallery(screen: Screen, locale) -> bool:
    tabs = (_has(screen, locale, desc={"exact": "videos"}, region="tabs_band")
            and _has(screen, locale, desc={"exact": "photos"}, region="tabs_band"))
    return tabs or _has(screen, locale, text={"exact": "select_multiple"}) or \
        _has(screen, locale, text={"exact": "no_media_access"})


def is_camera(screen: Screen, locale) -> bool:
    durations = sum(1 for n in screen.nodes if _CAMERA_DURATION.match(n.text.strip()))
    modes = len(match(screen, {"text": {"exact": "camera_modes"}}, locale))
    return durations >= 2 or modes >= 2 or (durations >= 1 and modes >= 1)


def is_caption(screen: Screen, locale) -> bool:
    if _has(screen, locale, class_="EditText", text={"exact": "caption_placeholder"}):
        return True
    if (_has(screen, locale, text={"exact": "drafts"}, region="bottom_band")
            and _has(screen, locale, text={"exact": "post"}, region="bottom_band")):
        return True
    # the description field at the top and a Post button at the bottom (placeholder texts
    # change between builds; Drafts may be translated where Post is not)
    return (_has(screen, locale, class_="EditText", region="upper_half")
            and _has(screen, locale, class_="Button", text={"exact": "post"}, region="bottom_band"))


def is_editor(screen: Screen, locale) -> bool:
    if _has(screen, locale, text={"exact": "your_story"}):
        return True
    tools = len(match(screen, {"desc": {"exact": ["effects", "text_tool", "filters"]}}, locale))
    return tools >= 2 and _has(screen, locale, text={"exact": "next"}, region="bottom_band")


def is_search(screen: Screen, locale) -> bool:
    if _has(screen, locale, desc={"exact": "clear_search"}):
        return True
    if _has(screen, locale, class_="EditText", region="top_band"):
        return True
    return (_has(screen, locale, text={"exact": "users"}, region="tabs_band")
            and _has(screen, locale, text={"exact": "top"}, region="tabs_band"))


def is_profile(screen: Screen, locale) -> bool:
    if _has(screen, locale, text={"exact": "followers"}):
        return True
    return _has(screen, locale, desc={"exact": "profile_menu"}) or \
        _has(screen, locale, text={"exact": "edit_profile"}, class_="Button")


def is_feed(screen: Screen, locale) -> bool:
    return (_has(screen, locale, desc={"prefix": ["like_video", "comments_button"]})
            or _has(screen, locale, desc={"exact": ["video", "live"]})
            or _has(screen, locale, desc={"exact": "for_you"}, region="tabs_band"))


_ORDER = (("dialog", is_dialog),
          ("account_switcher", lambda s, loc: _has(s, loc, text={"exact": "switch_account"})),
          ("comments", lambda s, loc: _has(s, loc, class_="EditText", text={"exact": "add_comment"})
           or _has(s, loc, text={"exact": "comments_title"}) or _comment_title(s, loc)),
          ("gallery", is_gallery), ("camera", is_camera), ("caption", is_caption),
          ("editor", is_editor),
          ("login", lambda s, loc: _has(s, loc, text={"exact": "login"})),
          ("search", is_search), ("profile", is_profile), ("feed", is_feed))


def classify(screen: Screen, locale: str | None = None) -> str | None:
    """The screen's name; "other" when nothing known is recognised, None for an empty dump."""
    if not screen.nodes:
        return None
    for name, test in _ORDER:
        if test(screen, locale):
            return name
    return "other"


def on_home_feed(screen: Screen, locale) -> bool:
    """The home feed (not a single video): a feed with the bottom nav row."""
    return any(in_region(screen, n, "nav_row") for n in match(
        screen, {"desc": {"exact": ["home", "profile"]}}, locale))
