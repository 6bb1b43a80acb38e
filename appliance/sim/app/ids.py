"""Resource ids of the simulated app per build: obfuscated 2-3 character names from a seeded
generator (as the real app's minifier makes them), plus the few semantic ids that never change.

Pure and cached; read by the screens under `AndroidUi`'s lock. See docs/APP-SURFACE.md.
"""

from __future__ import annotations

import random
import string
from functools import cache

# Semantic ids: the same in every build (as on real phones).
LONG_PRESS = "long_press_layout"
PLAYER = "player_view"
TITLE = "title"
DESC = "desc"
COVER = "cover"
ROOTVIEW = "view_rootview"
TEXT1 = "android:id/text1"

NAV_KEYS = ("nav_home", "nav_friends", "nav_create", "nav_inbox", "nav_profile")

# Every control whose id is obfuscated. Order matters: it fixes each build's table.
KEYS = (
    *NAV_KEYS,
    "nav_bar", "top_tab", "feed_search", "play_icon", "back",
    "avatar", "follow_plus", "engage", "like_icon", "like_count", "comment_button",
    "comment_count", "favourite_button", "favourite_count", "share_icon", "share_count",
    "sound_button", "ad_slot", "ad_label", "ad_cta", "live_badge", "upload_badge",
    "comment_sheet", "comment_title", "comment_close", "comment_list", "comment_item",
    "comment_text", "comment_reply", "comment_input", "comment_mention", "comment_stickers",
    "comment_send",
    "camera_close", "camera_sound", "camera_tool", "camera_mode", "camera_shutter",
    "camera_gallery", "camera_thumb", "camera_bottom",
    "gallery_root", "gallery_close", "gallery_album", "gallery_tab", "gallery_grid",
    "gallery_thumb", "gallery_duration", "gallery_select", "gallery_multi", "gallery_next",
    "gallery_empty",
    "editor_sound", "editor_tool", "editor_story", "editor_next",
    "caption", "caption_title", "caption_cover", "caption_chip", "caption_privacy",
    "caption_more", "post_drafts", "post_publish", "publish_sheet", "publish_title",
    "publish_now", "publish_cancel",
    "profile_header", "profile_header_name", "profile_dropdown", "profile_menu",
    "profile_avatar", "profile_name", "profile_handle", "profile_count", "profile_count_label",
    "profile_edit", "profile_tab", "profile_grid", "profile_action", "unfollow_sheet",
    "unfollow_confirm", "unfollow_cancel",
    "switcher_sheet", "switcher_title", "switcher_row", "switcher_name", "switcher_add",
    "loading",
    "search_input", "search_clear", "search_submit", "search_tab", "search_results",
    "search_user_row", "search_user_name", "search_user_handle", "search_user_follow",
    "search_video_tile", "search_video_author", "search_empty",
    "login_title", "login_username", "login_password", "login_button",
    "popup_box", "popup_title", "popup_message", "popup_positive", "popup_negative",
    "popup_close", "stub_title",
)

# Screens added later (DM chat, edit profile, follower lists): drawn after the table above
# with their own generator, so the earlier screens' ids per build stay as they were.
SOCIAL_KEYS = (
    "profile_message", "chat_header", "chat_list", "chat_bubble", "chat_input", "chat_send",
    "edit_title", "edit_photo", "edit_row", "edit_row_label", "edit_row_value", "edit_save",
    "edit_field", "edit_cancel", "follow_list_title", "follow_list_tab", "follow_list",
    "follow_row", "follow_row_name", "follow_row_handle", "follow_row_button", "profile_bio",
)

VERSIONS = {1: "43.1.4", 2: "44.9.3", 3: "46.2.5"}
_FIRST = string.ascii_lowercase
_REST = string.ascii_lowercase + string.digits + "_"


def version_name(build: int) -> str:
    """The versionName `dumpsys package` prints for a build (made up past the known three)."""
    if build in VERSIONS:
        return VERSIONS[build]
    return f"4{(build + 3) % 10}.{build % 10}.{(build * 3) % 10}"


def _draw(rng: random.Random) -> str:
    n = 3 if rng.random() < 0.8 else 2
    return rng.choice(_FIRST) + "".join(rng.choice(_REST) for _ in range(n - 1))


@cache
def table(build: int) -> dict[str, str]:
    """key -> short id for one build (without the package)."""
    build = max(1, int(build))
    prev = table(build - 1) if build > 1 else {}
    rng = random.Random(f"tiktok-ids:{build}")
    # Bottom nav: one 2-letter prefix, five consecutive last letters, in a per-build order.
    prefix = rng.choice(_FIRST) + rng.choice(_FIRST)
    start = rng.randrange(0, 26 - 6)
    letters = [_FIRST[start + i] for i in range(5)]
    rng.shuffle(letters)
    ids = {key: prefix + ch for key, ch in zip(NAV_KEYS, letters, strict=False)}
    ids["nav_bar"] = prefix + _FIRST[start + 6]
    used = set(ids.values())
    for key in KEYS:
        if key in ids:
            continue
        while True:
            rid = _draw(rng)
            if rid not in used and rid != prev.get(key):
                break
        ids[key] = rid
        used.add(rid)
    if prev:
        # One id of the previous build now names a different control (a stale id hits the wrong
        # control rather than nothing).
        plain = [k for k in KEYS if k not in NAV_KEYS and k != "nav_bar"]
        while True:
            old_key, new_key = rng.choice(plain), rng.choice(plain)
            rid = prev[old_key]
            if old_key != new_key and rid not in used:
                break
        ids[new_key] = rid
    used = set(ids.values())
    social = random.Random(f"tiktok-ids-social:{build}")
    for key in SOCIAL_KEYS:
        while True:
            rid = _draw(social)
            if rid not in used:
                break
        ids[key] = rid
        used.add(rid)
    return ids


def reused(build: int) -> list[tuple[str, str, str]]:
    """(id, key in build-1, key in build) for ids that changed control between the two builds."""
    if build <= 1:
        return []
    prev, cur = table(build - 1), table(build)
    by_id = {rid: key for key, rid in prev.items()}
    return [(rid, by_id[rid], key) for key, rid in cur.items()
            if rid in by_id and by_id[rid] != key]
